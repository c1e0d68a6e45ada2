#version 330
// The Neural Cloud couched onto the cloth: one instanced strip per cord (a link) or knot (a
// node). A cord is laid in a curve, as a hand couches a metal thread (never a ruled line):
// through a knot it sweeps on into the cord that continues it most nearly straight (its
// course, from cord_table), so the cloud reads as a few long flowing lines, not a diagram of
// kinked segments; where nothing continues it, it bows on its own, fixed per cord. With
// u_shadow set, the same strips fall as soft shadows down-light of the cords.
#include "indices.glsl"
#include "common.glsl"
#include "cloth.glsl"
in vec2 in_corner;          // across in [-1, 1], along in [-1, 1] (a strip of quads)
in vec4 in_segment;         // x0, y0, x1, y1 in canopy units (a knot has x0 == x1)
in vec4 in_state;           // alive, load, health, spark
in vec4 in_yarns;           // the communities the two ends mainly serve; a knot: whether a line runs on through it
in vec4 in_course;          // where its course comes from (x, y) and goes on to (x, y)
uniform float u_thickness;  // half width of the heaviest cord, canopy units
uniform float u_shadow;     // 0: the cords, 1: their shadows
uniform float u_cord_gild;  // a united city's cloud: in old gold
uniform vec4 u_focus;       // focal point x, y (canopy), strength, kind (1: where the outage began)
uniform float u_gild;       // the city's bond: its dead knots are cut away as it grows
out vec2 v_local;           // across (x, in half widths) and along (y, in half widths)
flat out vec4 v_state;
flat out float v_length;    // half the cord's length, in half widths
flat out float v_seed;      // the cord's own random seed, the same in both passes and every frame
flat out float v_knot;
flat out vec2 v_yarns;
flat out float v_tied;      // how far a knot is tied at all (0: no knot there, not drawn)
flat out float v_origin;    // 0..1: this is the knot where the outage began (its strength)
out vec2 v_picks;           // where on the cloth, in picks from its top left (see in_identity)
uniform float u_rows;       // picks over the cloth's height

// A cubic Hermite curve from a (leaving with slope m0) to b (arriving with slope m1), at u.
vec2 hermite(vec2 a, vec2 m0, vec2 b, vec2 m1, float u) {
    float u2 = u * u, u3 = u2 * u;
    return (2.0 * u3 - 3.0 * u2 + 1.0) * a + (u3 - 2.0 * u2 + u) * m0
         + (-2.0 * u3 + 3.0 * u2) * b + (u3 - u2) * m1;
}

vec2 hermite_slope(vec2 a, vec2 m0, vec2 b, vec2 m1, float u) {
    float u2 = u * u;
    return (6.0 * u2 - 6.0 * u) * a + (3.0 * u2 - 4.0 * u + 1.0) * m0
         + (-6.0 * u2 + 6.0 * u) * b + (3.0 * u2 - 2.0 * u) * m1;
}

void main() {
    vec2 a = in_segment.xy;
    vec2 b = in_segment.zw;
    bool knot = length(b - a) < 1e-6;
    // Fewer, better lines: only the cloud's trunks are couched; its back lanes stay hidden
    // (and cost nothing more: most links are lanes, and most knots are not tied).
    v_state = in_state;
    v_yarns = in_yarns.xy;
    v_seed = hash12(a * 97.0 + b * 31.0);
    v_knot = knot ? 1.0 : 0.0;
    // The knot where the outage began is the crisis' focal point: a burnt knot, larger than
    // the rest, still smouldering.
    // (It grows as the outage does, as the cloth's glow round it does.)
    float origin = knot && u_focus.w > 0.5 && length(a - u_focus.xy) < 1e-4
                 ? u_focus.z * smoothstep(0.1, 0.4, u_outage) : 0.0;
    v_origin = origin;
    // Only the knots of couched cords are tied (the hidden back lanes leave no specks).
    float alive = in_state.x, health = in_state.z;
    float tied = max(smoothstep(COUCHED_LOAD - 0.05, COUCHED_LOAD + 0.05, in_state.y), step(0.01, origin));
    // (A dead knot is cut away with its cords as the city bonds: no stray beads.)
    tied *= alive > 0.5 ? 1.0 : 1.0 - u_gild;
    // Where one line runs on through a node, no knot is tied: the cloud reads as a few long
    // couched lines knotted where they meet, not beads on a diagram. A node in trouble
    // (failing, failed, freshly mended) is knotted all the same: its story is told there.
    float trouble = max(max(1.0 - alive, cord_weak(health)), max(cord_mended(health), in_state.w));
    tied *= 1.0 - in_yarns.z * (1.0 - trouble);
    v_tied = knot ? tied : 1.0;
    if ((!knot && in_state.y < COUCHED_LOAD) || (knot && tied < 0.002)) {
        v_local = vec2(0.0);
        v_length = 1.0;
        v_picks = vec2(0.0);
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        return;
    }
    // (A united city's trunks, turned gold, are couched as heavier cords.)
    // (No heavier once gilded: the bright gold belongs to the scars' seams and the joins;
    // heavier gold cords wandering over the bonded city read to fresh eyes as spaghetti.)
    float w = u_thickness * mix(0.3, 1.0, in_state.y * in_state.y);
    // (A failing node's knot swells as its turns work loose: its trouble shows across the room.)
    float half_w = knot ? u_thickness * mix(mix(0.6, 1.5, in_state.y * in_state.y), 4.0, origin)
                          * (1.0 + 0.8 * cord_weak(health) * alive) : w;
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
        // The bow: a sideways turn of the ends where no cord continues this one.
        float bow = (v_seed - 0.5) * 0.36;
        vec2 prev_s = in_course.xy * sq;
        vec2 next_s = in_course.zw * sq;
        // (Whether another cord runs on at each end: its course is then not the knot itself.)
        bool from_prev = length(prev_s - as) > 1e-6;
        bool to_next = length(next_s - bs) > 1e-6;
        vec2 t0 = from_prev ? normalize(bs - prev_s) : normalize(along_s + across_s * bow * 2.0);
        vec2 t1 = to_next ? normalize(next_s - as) : normalize(along_s - across_s * bow * 2.0);
        // (A cubic from knot to knot leaving along t0 and arriving along t1; slopes of less
        // than the chord keep a cord that turns both ways from reading as a worm.)
        vec2 m0 = t0 * len_s * 0.6;
        vec2 m1 = t1 * len_s * 0.6;
        // The length of the curve so far and in all (so the stitches and the break are
        // spaced along the cord as laid, not along its chord).
        float so_far = 0.0;
        float arc = 0.0;
        vec2 last = as;
        // (Twelve pieces; the share of each up to t, so any number of quads fits.)
        for (int k = 1; k <= 12; k++) {
            float u = float(k) / 12.0;
            vec2 q = hermite(as, m0, bs, m1, u);
            float piece = length(q - last);
            arc += piece;
            so_far += piece * clamp((t - u) * 12.0 + 1.0, 0.0, 1.0);
            last = q;
        }
        vec2 on = hermite(as, m0, bs, m1, t);
        vec2 tangent = normalize(hermite_slope(as, m0, bs, m1, t) + 1e-9);
        vec2 normal = vec2(-tangent.y, tangent.x);
        // The ends run on a little past the knots, so a cord disappears under them; where it
        // runs on into another cord it meets that one's end flush (two overlapping ends
        // would darken and thicken the line where no knot covers them).
        bool runs_on = in_corner.y < 0.0 ? from_prev : to_next;
        float end = abs(in_corner.y) > 0.999 && !runs_on ? in_corner.y : 0.0;
        p = on + tangent * (end * half_w) + normal * (in_corner.x * half_w * 1.3);
        // (Along the cord in the cord's own half widths, in its shadow too, so a break or a
        // stitch falls at the same place in both.)
        float unit = half_w / (1.0 + 0.6 * u_shadow);
        v_local = vec2(in_corner.x * 1.3, (so_far - 0.5 * arc + end * half_w) / unit);
        v_length = (arc * 0.5 + half_w) / unit;
    }
    v_picks = p * u_rows;   // (the square space is the cloth's in picks, over its height)
    p = canopy_to_picture(p / sq);
    p += u_shadow * vec2(0.003, 0.0045);
    gl_Position = vec4(p.x * 2.0 - 1.0, 1.0 - p.y * 2.0, 0.0, 1.0);
}
