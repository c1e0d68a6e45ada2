#version 330
// The Neural Cloud couched onto the cloth: one instanced strip per cord (a link) or knot (a
// node). A cord is laid in a gentle curve, as a hand couches a metal thread (never a ruled
// line): a quadratic arc whose bow is fixed per cord. With u_shadow set, the same strips fall
// as soft shadows down-light of the cords.
#include "indices.glsl"
#include "common.glsl"
#include "cloth.glsl"
in vec2 in_corner;          // across in [-1, 1], along in [-1, 1] (a strip of quads)
in vec4 in_segment;         // x0, y0, x1, y1 in canopy units (a knot has x0 == x1)
in vec4 in_state;           // alive, load, health, spark
in vec4 in_yarns;           // the communities the two ends mainly serve, two zeros
uniform float u_thickness;  // half width of the heaviest cord, canopy units
uniform float u_shadow;     // 0: the cords, 1: their shadows
uniform float u_cord_gild;  // a united city's cloud: in gold, only its heaviest trunks couched
out vec2 v_local;           // across (x, in half widths) and along (y, in half widths)
flat out vec4 v_state;
flat out float v_length;    // half the cord's length, in half widths
flat out float v_knot;
flat out vec2 v_yarns;

void main() {
    vec2 a = in_segment.xy;
    vec2 b = in_segment.zw;
    bool knot = length(b - a) < 1e-6;
    // (A united city's trunks, turned gold, are couched as heavier cords.)
    float w = u_thickness * mix(0.3, 1.0, in_state.y * in_state.y) * (1.0 + 0.35 * u_cord_gild);
    float half_w = knot ? u_thickness * mix(0.6, 1.5, in_state.y * in_state.y) : w;
    half_w *= 1.0 + 0.6 * u_shadow;
    float aspect = u_resolution.x * u_cloth_rect.z / (u_resolution.y * u_cloth_rect.w);
    // Canopy units are stretched to the picture: keep cords round by working in a square
    // space (x scaled by the aspect) and mapping back.
    vec2 sq = vec2(aspect, 1.0);
    vec2 as = a * sq, bs = b * sq;
    float len_s = length(bs - as);
    vec2 along_s = knot ? vec2(1.0, 0.0) : (bs - as) / len_s;
    vec2 across_s = vec2(-along_s.y, along_s.x);
    float t = in_corner.y * 0.5 + 0.5;
    vec2 p;
    if (knot) {
        p = as + along_s * (in_corner.y * half_w) + across_s * (in_corner.x * half_w * 1.3);
        v_local = vec2(in_corner.x * 1.3, in_corner.y);
        v_length = 1.0;
    } else {
        // The bow: a sideways offset of the arc's control point, the same each frame.
        float bow = (hash12(a * 97.0 + b * 31.0) - 0.5) * 0.36;
        vec2 ctrl = (as + bs) * 0.5 + across_s * len_s * bow;
        vec2 on = mix(mix(as, ctrl, t), mix(ctrl, bs, t), t);
        vec2 tangent = normalize(mix(ctrl - as, bs - ctrl, t) + 1e-9);
        if (in_state.x < 0.5) {
            // A failed cord has snapped in the middle: each half hangs from its knot,
            // drooping under its own weight.
            float u = t < 0.5 ? t * 2.0 : (1.0 - t) * 2.0;
            vec2 from = t < 0.5 ? as : bs;
            vec2 mid = (as + bs) * 0.5;
            float drop = 0.3 * len_s;
            on = mix(from, mid, u * 0.85) + vec2(0.0, drop * u * u);
            vec2 d = (mid - from) * 0.85 + vec2(0.0, 2.0 * drop * u);
            tangent = normalize(t < 0.5 ? d : -d);
        }
        vec2 normal = vec2(-tangent.y, tangent.x);
        // The ends run on a little past the knots, so a cord disappears under them.
        float end = abs(in_corner.y) > 0.999 ? in_corner.y : 0.0;
        p = on + tangent * (end * half_w) + normal * (in_corner.x * half_w * 1.3);
        float arc = len_s * (1.0 + 2.67 * bow * bow);
        float half_len = arc * 0.5 + half_w;
        v_local = vec2(in_corner.x * 1.3, ((t - 0.5) * arc + end * half_w) / half_w);
        v_length = half_len / half_w;
    }
    p = canopy_to_picture(p / sq);
    p += u_shadow * vec2(0.003, 0.0045);
    v_state = in_state;
    v_yarns = in_yarns.xy;
    v_knot = knot ? 1.0 : 0.0;
    gl_Position = vec4(p.x * 2.0 - 1.0, 1.0 - p.y * 2.0, 0.0, 1.0);
    // Fewer, better lines: only the cloud's trunks are couched; its back lanes stay hidden.
    if (!knot && in_state.y < couched_load(u_cord_gild)) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    }
}
