#version 330
// The Neural Cloud couched onto the cloth: one instanced quad per cord (a link) or knot (a
// node). With u_shadow set, the same quads fall as soft shadows down-light of the cords.
#include "indices.glsl"
#include "cloth.glsl"
in vec2 in_corner;          // quad corner in [-1, 1]^2
in vec4 in_segment;         // x0, y0, x1, y1 in canopy units (a knot has x0 == x1)
in vec4 in_state;           // alive, load, health, spark
uniform float u_thickness;  // half width of the heaviest cord, canopy units
uniform float u_shadow;     // 0: the cords, 1: their shadows
out vec2 v_local;           // across (x, in half widths) and along (y, in half widths)
flat out vec4 v_state;
flat out float v_length;    // half the cord's length, in half widths
flat out float v_knot;

void main() {
    vec2 a = in_segment.xy;
    vec2 b = in_segment.zw;
    vec2 dir = b - a;
    float len = length(dir);
    bool knot = len < 1e-6;
    vec2 along = knot ? vec2(1.0, 0.0) : dir / len;
    vec2 across = vec2(-along.y, along.x);
    float w = u_thickness * mix(0.3, 1.0, in_state.y * in_state.y);
    float half_w = knot ? u_thickness * mix(0.6, 1.5, in_state.y * in_state.y) : w;
    half_w *= 1.0 + 0.6 * u_shadow;
    float aspect = u_resolution.x * u_cloth_rect.z / (u_resolution.y * u_cloth_rect.w);
    // Canopy units are stretched to the picture: keep cords round by working in a square
    // space (x scaled by the aspect) and mapping back.
    vec2 sq = vec2(aspect, 1.0);
    vec2 dir_s = (b - a) * sq;
    float len_s = length(dir_s);
    vec2 along_s = knot ? vec2(1.0, 0.0) : dir_s / len_s;
    vec2 across_s = vec2(-along_s.y, along_s.x);
    vec2 centre = (a + b) * 0.5 * sq;
    float half_len = len_s * 0.5 + half_w;
    vec2 p = centre + along_s * (in_corner.y * half_len) + across_s * (in_corner.x * half_w * 1.3);
    p = canopy_to_picture(p / sq);
    p += u_shadow * vec2(0.003, 0.0045);
    v_local = vec2(in_corner.x * 1.3, in_corner.y * half_len / half_w);
    v_length = half_len / half_w;
    v_state = in_state;
    v_knot = knot ? 1.0 : 0.0;
    gl_Position = vec4(p.x * 2.0 - 1.0, 1.0 - p.y * 2.0, 0.0, 1.0);
    // Fewer, better lines: only the cloud's trunks are couched; its back lanes stay hidden.
    if (!knot && in_state.y < 0.45) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    }
}
