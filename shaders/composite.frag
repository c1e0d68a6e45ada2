#version 330
// Final image: frame plus bloom, tone mapped, vignetted, with the gallery's fade.
#include "indices.glsl"
uniform sampler2D u_frame;
uniform sampler2D u_bloom;
uniform float u_bloom_strength;
uniform float u_fade;          // 1: full picture, 0: black (gallery hours)
in vec2 v_uv;
out vec4 f_colour;

void main() {
    vec3 c = texture(u_frame, v_uv).rgb + texture(u_bloom, v_uv).rgb * u_bloom_strength;
    c = c / (1.0 + c * 0.6);                      // gentle tone map
    vec2 q = v_uv - 0.5;
    c *= 1.0 - dot(q, q) * 0.9;                   // vignette
    c = max(c, 0.0);
    c = c * (1.12 - 0.12 * c);                    // lift the mid-tones (cheaper than pow)
    f_colour = vec4(c * u_fade, 1.0);
}
