#version 330
// The finished picture: the cloth (with its cords) billowing under the raking light, lit
// towards the act's focal point, graded in the act's key (light, warmth, saturation), bloom
// on what glows, tone mapped, vignetted, with the gallery's fade.
#include "indices.glsl"
#include "cloth.glsl"
#ifndef QUALITY
#define QUALITY 1
#endif
uniform sampler2D u_frame;
uniform sampler2D u_bloom;
uniform float u_bloom_strength;
uniform float u_fade;          // 1: full picture, 0: black (gallery hours)
uniform vec3 u_key;            // light level, warmth (-1 cold .. 1 warm), saturation
uniform vec4 u_focus;          // focal point x, y (canopy), strength, kind
in vec2 v_uv;
out vec4 f_colour;

void main() {
    vec2 uv = vec2(v_uv.x, 1.0 - v_uv.y);   // picture position, y down
    float aspect = u_resolution.x / u_resolution.y;
    vec3 b = billow(uv, u_time * 0.5 + u_audio_time * 0.5);
    vec3 hang = drape(uv, u_time + u_audio_time);
    // The folds shift the cloth a little (its edges wave with the hang) and the raking
    // light reads their slope.
    // (Lower down, the folds swing the hem forward and back: seen from the room, the bottom
    // edge and its fringe rise and fall with them, as a hanging's hem does.)
    vec2 shift = b.yz * vec2(0.0009, 0.0012) + vec2(hang.x * 0.01, hang.x * 0.025 * smoothstep(0.35, 0.95, uv.y));
    vec3 c = texture(u_frame, vec2(v_uv.x, v_uv.y) + vec2(shift.x, -shift.y)).rgb;
    vec2 towards = normalize(LIGHT.xy);
    float fold = 1.0 + 0.07 * dot(towards, -b.yz) / 3.0 + 0.03 * b.x
               + 0.03 * dot(towards, -hang.yz) + 0.11 * hang.x;
    c *= fold;
    // Key: the light level, the warmth of the light, the saturation of the yarns.
    // (The grade greys the yarns; what gives light, fire and gold above all, keeps its
    // colour: an ember in the dark stays orange, it does not turn pink.)
    float lum = dot(c, vec3(0.2126, 0.7152, 0.0722));
    c = mix(vec3(lum), c, mix(u_key.z, max(u_key.z, 1.0), smoothstep(0.45, 1.5, lum)));
    vec3 warm = vec3(1.1, 1.0, 0.86);
    vec3 cold = vec3(0.66, 0.86, 1.22);
    c *= u_key.x * mix(vec3(1.0), u_key.y > 0.0 ? warm : cold, abs(u_key.y));
    // The focal point gathers the light.
    vec2 d = (uv - canopy_to_picture(u_focus.xy)) * vec2(aspect, 1.0);
    float pool = exp(-dot(d, d) / 0.09);
    // A hopeful focal point gathers the light; a crisis is told by its embers, not a spotlight.
    c *= 1.0 + u_focus.z * (0.3 * pool - 0.08) * (1.0 - step(0.5, u_focus.w));
    if (QUALITY >= 1) {
        c += texture(u_bloom, v_uv).rgb * u_bloom_strength;
    }
    c = c * 1.15 / (1.0 + c * 0.4);               // gentle tone map
    vec2 q = v_uv - 0.5;
    // Vignette: the room closes in as the light falls, and opens as the city brightens.
    c *= 1.0 - dot(q, q) * clamp(1.45 - 0.7 * u_key.x, 0.45, 1.2);
    c = max(c, 0.0);
    c = c * (1.1 - 0.1 * c);
    f_colour = vec4(c * u_fade, 1.0);
}
