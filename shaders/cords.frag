#version 330
// Metallic cords couched onto the cloth (a laid pair of silver-wound threads, couching
// stitches, light pulses running at the pace of their load), raised knots at the nodes; a
// glitching node's cords unwind at their ends, failed cords dull and broken with frayed
// ends, repaired cords whipped in the yarns of the districts they join. Premultiplied alpha
// over the cloth; shadows when u_shadow is 1.
#include "indices.glsl"
#include "common.glsl"
#include "cloth.glsl"
in vec2 v_local;
flat in vec4 v_state;
flat in float v_length;
flat in float v_seed;           // the cord's own random seed
flat in float v_knot;
flat in vec2 v_yarns;           // the communities the cord's two ends mainly serve
flat in float v_origin;         // the knot where the outage began (the crisis' focal point)
flat in float v_tied;           // how far a knot is tied at all (0: no knot there)
in vec2 v_picks;                // where on the cloth, in picks from its top left
uniform float u_rows;           // picks over the cloth's height
uniform float u_mix;            // how far the city's yarns cross its borders: its identity grown
uniform vec3 u_colours[16];     // community identity colours
uniform float u_shadow;
uniform float u_cord_gild;      // a united city that trusts its cloud turns the cords gold
uniform float u_gild;           // the city's bond: as it grows, the embers of failed cords cool
const vec3 SILVER = vec3(0.84, 0.82, 0.78);   // silk wound with silver: metal, not bark
const vec3 VERDIGRIS = vec3(0.3, 0.44, 0.38);  // the tarnish of a weak node's metal
out vec4 f_colour;

void main() {
    // The cords are couched over the city's field only: they pass under the kilim's ends
    // and under the border and medallion a united city weaves. (Laid over the medallion,
    // gilded cords read to fresh eyes as gold scribbled over the climax of the work.)
    float cloth_aspect = u_resolution.x * u_cloth_rect.z / (u_resolution.y * u_cloth_rect.w);
    if (in_identity(v_picks, u_rows, cloth_aspect, identity_grown(u_mix)) > 0.5) {
        discard;
    }
    float alive = v_state.x;
    float load = v_state.y;
    float health = v_state.z;
    float spark = v_state.w;
    float weak = alive > 0.5 ? cord_weak(health) : 0.0;   // (how far a live node is failing)
    float aa = max(fwidth(v_local.x), 0.02);
    if (v_knot > 0.5) {
        vec2 q = v_local / vec2(1.3, 1.0);   // (the knot's dome, round)
        float r = length(q);
        float ang = atan(q.y, q.x + 1e-6);
        // A dead node's knot has come undone: a flattened tangle, its edge ragged where
        // turns have slipped off, a few loose ends splayed out over the cloth. (A whole dark
        // dome with its turns in place read to fresh eyes as a plastic button.)
        float undone = alive > 0.5 ? smoothstep(0.2, 0.8, weak) : 1.0;   // (a failing one, as far as it fails)
        float ragged = 1.0 - undone * (0.12 + 0.16 * sin(ang * 5.0 + v_seed * 7.0) * sin(ang * 3.0 - v_seed * 3.0));
        float end_a = ang * 0.955 + hash12(vec2(v_seed, 8.1));   // (six loose ends round it, turned its own way)
        float splay = undone * (1.0 - smoothstep(0.04, 0.09, abs(fract(end_a) - 0.5) * (1.0 - 0.6 * r)))
                    * step(0.55, hash12(vec2(floor(end_a + 0.5), v_seed)));
        float cov = max(1.0 - smoothstep(ragged - aa * 1.5, ragged, r), splay * (1.0 - smoothstep(0.9, 1.0, r))) * v_tied;
        if (u_shadow > 0.5) {
            f_colour = vec4(0.0, 0.0, 0.0, cov * 0.5 * (1.0 - smoothstep(0.2, 1.0, r)));
            return;
        }
        vec3 n = normalize(vec3(q, (sqrt(max(1.0 - dot(q, q), 0.0)) + 0.1) * (1.0 + 1.5 * undone)));
        float diff = max(dot(n, LIGHT), 0.0);
        float spec = pow(max(dot(n, normalize(LIGHT + vec3(0, 0, 1))), 0.0), 12.0) * 0.35;
        // A wound knot: turns of thread around the dome.
        float turns = 0.6 + 0.4 * sin(ang * 7.0 + r * 9.0);
        // (An undone knot's thread lies in loose, wandering loops, not in turns.)
        turns = mix(turns, 0.55 + 0.45 * sin(r * 17.0 + 2.2 * sin(ang * 4.0 + v_seed * 5.0)), undone);
        vec3 metal = mix(SILVER, GOLD, u_cord_gild);
        // A failing node's knot works loose (above) and tarnishes as its cords do.
        metal = mix(metal, VERDIGRIS, weak);
        vec3 c = alive > 0.5 ? metal * (0.2 + 0.75 * diff) * turns + vec3(1.0, 0.95, 0.85) * spec * 0.5
                             : vec3(0.16, 0.15, 0.13) * (0.35 + 0.8 * diff) * turns;   // (dull: tarnished, charred, no sheen)
        c += vec3(1.8, 0.5, 0.1) * spark * (1.0 - alive) * (1.0 - r * 0.6) * (1.0 - 0.85 * u_gild);   // ember
        c += vec3(1.3, 1.0, 0.6) * spark * alive * (1.0 - r) * 0.6;           // needle of light
        if (v_origin > 0.0) {
            // The burnt knot where the cascade began: its turns charred, the fire still alive
            // deep between them and in its heart, breathing slowly.
            float between = 1.0 - smoothstep(0.2, 0.5, turns);
            float live = 0.35 + 0.65 * noise2(q * 3.0 + vec2(0.0, u_audio_time * 0.15));
            float breath = 0.75 + 0.25 * sin(u_audio_time * 0.9);
            vec3 char_ = vec3(0.06, 0.05, 0.05) * (0.4 + diff) * turns + vec3(0.15) * spec;
            vec3 fire = vec3(1.7, 0.42, 0.05) * (between * live * 2.0 * smoothstep(1.0, 0.5, r) + 1.8 * (1.0 - smoothstep(0.0, 0.45, r))) * breath;
            c = mix(c, char_ + fire * (1.0 - u_gild), v_origin);
        }
        f_colour = vec4(c * cov, cov);
        return;
    }
    float s = v_local.x;                    // across, -1..1 over the cord
    float y = v_local.y;                    // along, in half widths
    float cov = 1.0 - smoothstep(1.0 - aa * 1.5, 1.0, abs(s));
    // Couching: small stitches of silk across the cord hold it down at intervals, each
    // going into the cloth a little beyond the cord on both sides (so the cord reads as
    // sewn on, not laid over).
    // (Bold enough to be read across the room: finer and further apart, fresh eyes saw
    // the cords as tubing or chain laid on the cloth, not sewn to it.)
    const float SW = 0.3;   // a stitch's half width, in the cord's half widths
    float period = 6.0;
    float cy = abs(fract(y / period + 0.5 * hash12(vec2(v_seed, 2.1))) - 0.5) * period;
    float stitch = (1.0 - smoothstep(SW, SW + aa * 2.0, cy)) * (1.0 - smoothstep(1.22, 1.28, abs(s)));
    // Where along the cord it gives way (each cord its own place, off its middle).
    float at_break = y - (hash12(vec2(v_seed, 3.7)) - 0.5) * 0.8 * max(v_length - 4.0, 0.0);
    // A failed cord has snapped: a gap where it broke, its ends frayed into loose strands.
    // (Burnt in an outage; before it, in the glitches, a cord that has failed has snapped
    // under strain: its metal dull but still metal, the gap wider, so the break reads in
    // the light cloth. Black there, it was lost in the dark rifts it crosses.)
    float charred = smoothstep(0.1, 0.4, u_outage);
    // (Never more than a third of a short cord: wider, a failed short cord vanished whole.)
    float gap = abs(at_break) - min((2.0 + 3.0 * hash12(vec2(v_seed, 1.3))) * (2.0 - charred), 0.33 * v_length);
    // (A glitching node's cords snap too, the worst first: the break widens as the node
    // fails, and a live cord keeps its metal either side of it. Worn strands alone were too
    // fine to read across the room: fresh eyes saw the network whole in the glitches.)
    float snapped = alive < 0.5 ? 1.0 : smoothstep(0.55, 1.0, weak) * (1.0 - u_gild);
    if (snapped > 0.0) {
        float strand = step(0.45, fract(s * 2.2 + 0.3 * sin(y * 1.7)));
        // (A live cord's break, wider: seen across the room; narrower while the node holds.)
        float g = alive < 0.5 ? gap : gap - 5.0 * hash12(vec2(v_seed, 8.3)) - 3.0 + (1.0 - snapped) * 12.0;
        cov *= step(0.0, g) + (1.0 - step(0.0, g)) * strand * smoothstep(-3.0, -0.5, g);
        stitch *= step(0.0, g);   // (the stitches went with the cord where it broke)
    }
    // A laid pair, as goldwork is couched: two fine metal threads side by side (pair_t runs
    // -1..1 across each), each a strip of metal wound round a silk core, so its wraps catch
    // the light one by one along it (strand_w runs -1..1 across a wrap). Fresh eyes read one
    // round cord, however twisted, as a tube laid on; two threads held by stitches read as
    // embroidery.
    float pair_t = abs(s) * 2.0 - 1.0;
    float strand_w = fract(y * 1.5 + pair_t * 0.45 + step(0.0, s) * 0.5) * 2.0 - 1.0;
    // (A fine dark line parts the two threads where they touch.)
    cov *= 1.0 - 0.6 * (1.0 - smoothstep(0.0, 0.16 + aa, abs(s)));
    // A glitching node's cords unwind at their ends (the strands part and gape) and wear
    // through where they will break: one strand parted, the other carrying the load alone.
    float unwound = weak * (1.0 - smoothstep(1.5, 6.0, v_length - abs(y)));
    cov *= 1.0 - unwound * step(0.55, abs(strand_w));
    float worn = weak * (1.0 - smoothstep(-0.5, 0.5, gap - 4.0 * smoothstep(0.95, 0.7, health)));
    float core = 1.0 - smoothstep(0.08, 0.18, abs(s + 0.25 + 0.15 * sin(y * 1.3)));
    float fibre = step(0.55, fract(s * 3.3 + 0.4 * sin(y * 2.3))) * smoothstep(-3.5, 0.0, gap);
    cov *= mix(1.0, max(core, fibre), worn);
    // (As the city bonds, the snapped cords are taken up: they are gone once it is whole.)
    cov *= alive < 0.5 ? 1.0 - u_gild : 1.0;
    // A repaired cord is whipped where it was spliced: bands of tight wraps in the yarns
    // of the two districts it joins, one band in each, neighbour by neighbour.
    float whipped = alive > 0.5 ? cord_mended(health) : 0.0;
    // (Where along the cord, in bands of 8 half widths, each cord's bands in their own place:
    // wide enough to be read across the room as the yarns of the hands that mended it.)
    float band_pos = y / 8.0 + 0.5 * hash12(vec2(v_seed, 5.7));
    float band_at = abs(fract(band_pos) - 0.5) * 8.0;
    // (Narrower once the cloud is gilded: the gold then carries the bond, not the wraps.)
    float band_w = mix(2.2, 1.1, u_cord_gild);
    float band = whipped * (1.0 - smoothstep(band_w, band_w + aa * 2.0, band_at)) * (1.0 - smoothstep(1.08, 1.12, abs(s)));
    if (u_shadow > 0.5) {
        // (Dark where the cord presses into the cloth, softening outwards.)
        f_colour = vec4(0.0, 0.0, 0.0, max(cov, band) * 0.55 * (1.0 - abs(s) * abs(s)));
        return;
    }
    float h = sqrt(max(1.0 - s * s, 0.0));
    float th = sqrt(max(1.0 - pair_t * pair_t, 0.0));      // each thread's roundness
    float ph = sqrt(max(1.0 - strand_w * strand_w, 0.0));   // each wrap's roundness
    vec3 n = normalize(vec3(strand_w * 0.55, pair_t * sign(s) * 0.9, th * (0.35 + 0.65 * ph) + 0.1));
    float diff = max(dot(n, LIGHT), 0.0);
    // Each wrap of metal glints at its crest, the next one dark beside it: from across the
    // room a cord reads as two glittering lines, not as a smooth shaded tube.
    float spec = pow(max(dot(n, normalize(LIGHT + vec3(0, 0, 1))), 0.0), 14.0) * ph * ph * th;
    // A weak node's cords tarnish to verdigris (dull, green-grey), they do not burn: fire
    // belongs to the outage.
    vec3 metal = mix(SILVER, VERDIGRIS, smoothstep(0.75, 1.0, (1.0 - health) * 3.0));
    metal = mix(metal, GOLD * 0.8, u_cord_gild);   // (an old gold, duller than the scars' seams)
    vec3 c = metal * (0.22 + 0.7 * diff) * (0.35 + 0.65 * ph * th) + mix(metal, vec3(1.0), 0.3) * spec * 1.2;
    if (alive < 0.5) {
        // Tarnished black where it burnt, a dull sheen left on the metal; the ember glows
        // at the broken ends.
        c = vec3(0.1, 0.1, 0.11) * (0.4 + diff) * (0.7 + 0.3 * ph * th) + vec3(0.25) * spec;
        vec3 dull = mix(SILVER, VERDIGRIS, 0.5) * 0.95 * (0.22 + 0.7 * diff) * (0.35 + 0.65 * ph * th) + vec3(0.3) * spec;
        c = mix(dull, c, charred);
        float ends = 1.0 - smoothstep(0.0, 5.0, gap);
        c += vec3(1.2, 0.35, 0.05) * spark * (1.0 - abs(s)) * (0.15 + 1.2 * ends) * (1.0 - u_gild);
    } else {
        // Light travels along a live cord at the pace of its load; a glitching node makes
        // it stutter.
        float stutter = clamp((1.0 - health) * 6.0, 0.0, 1.0);
        float t = mix(u_audio_time, floor(u_audio_time * 2.0) * 0.5, stutter);
        float phase = fract((y / max(v_length, 1.0)) * 0.5 - t * (0.25 + 0.6 * load));
        float pulse = smoothstep(0.82, 0.97, phase) * (1.0 - smoothstep(0.97, 1.0, phase));
        c += mix(vec3(0.8, 0.95, 1.0), GOLD * 1.2, u_cord_gild) * pulse * (0.3 + 0.6 * load) * h;
    }
    // (The couching silk: a madder brown that lets the metal lead, raised where it crosses
    // the cord, sunk into the cloth beside it.)
    float raised = 1.0 - smoothstep(0.9, 1.1, abs(s));
    // (Each stitch a round silk thread, lit across its width.)
    float sh = sqrt(max(1.0 - (cy / SW) * (cy / SW), 0.0));
    vec3 couch = vec3(0.42, 0.2, 0.08) * (0.3 + 0.9 * sh) * mix(0.55, 0.6 + 0.4 * h, raised);
    c = mix(c, couch, stitch * mix(1.0, 0.8, raised));
    if (band > 0.0) {
        // (Each wrap a round thread, slanting a little, lit across its width.)
        float turn = fract(y * 2.6 + s * 0.25);
        float wh = sqrt(max(1.0 - (2.0 * turn - 1.0) * (2.0 * turn - 1.0), 0.0));
        int k = int(mod(floor(band_pos + 0.5), 2.0) + 0.5);
        vec3 yarn = u_colours[int((k == 0 ? v_yarns.x : v_yarns.y) + 0.5)] * 1.15;
        vec3 wrap = yarn * (0.25 + 0.8 * max(dot(normalize(vec3(0.0, s * 0.9, h + 0.2)), LIGHT), 0.0)) * (0.45 + 0.55 * wh);
        c = mix(c, wrap, band);
    }
    float shown = max(max(cov, band), stitch * (alive > 0.5 ? 1.0 : 0.0));
    f_colour = vec4(c * shown, shown);
}
