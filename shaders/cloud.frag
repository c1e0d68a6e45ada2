#version 330
// Glowing filaments and knots; dead ones are faint embers. Drawn additively over the
// finished picture.
#include "indices.glsl"
in vec2 v_local;
in vec2 v_state;
in float v_length;
out vec4 f_colour;

void main() {
    float alive = v_state.x;
    float stress = v_state.y;
    // Distance to the segment's core in units of its half width.
    float along = max(abs(v_local.y) - (v_length - 1.0), 0.0);
    float d = length(vec2(v_local.x, along));
    float glow = exp(-d * d * 3.0);
    vec3 calm = vec3(0.45, 0.85, 1.0);
    vec3 hot = vec3(1.0, 0.45, 0.2);
    vec3 colour = mix(calm, hot, clamp(stress, 0.0, 1.0));
    float pulse = 0.75 + 0.25 * sin(u_audio_time * 3.0 + v_local.y);
    float strength = alive > 0.5 ? 0.38 * pulse : 0.05;
    f_colour = vec4(colour * glow * strength, 1.0);
}
