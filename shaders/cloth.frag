#version 330
// The woven cloth: a weft-faced tapestry hanging from its rod, with selvedges and a knotted
// fringe. Each community weaves in its own yarns and structure, joined to its neighbours by
// hatching; rich districts are densely packed and glossy, poor ones threadbare. Glitches are
// the loom's mistakes; outages unravel the weft to the bare warp, with loose ends; repairs
// are darned in the neighbours' yarns and gilded (kintsugi) as the city bonds; growth is
// embroidered in French knots; in a united city the yarns cross the borders like a plaid.
// Thread detail is filtered by its footprint (fwidth): it fades to the yarns' mean colour
// instead of aliasing. Output: linear HDR light.
#include "indices.glsl"
#include "common.glsl"
#include "cloth.glsl"

#ifndef QUALITY
#define QUALITY 1
#endif

uniform sampler2D u_sentiment;   // hope, anger, empathy, trust (linear)
uniform sampler2D u_grid;        // powered, health / 1.5, stress, spark (linear)
uniform sampler2D u_cloth;       // growth v, unravel, scar, gold (linear)
uniform sampler2D u_map;         // community, neighbour community, border distance (nearest)
uniform vec3 u_colours[16];      // community identity colours
uniform float u_wealth[16];      // each community's powered share of the resources, [0, 1]
uniform int u_communities;       // how many communities there are
uniform vec2 u_canopy;           // canopy size in cells
uniform float u_rows;            // weft rows (picks) over the cloth's height
uniform float u_gild;            // gold brocade over the borders (the city's bond), [0, 1]
uniform float u_mix;             // how far community yarns cross the borders, [0, 1]
uniform float u_glitch;          // the loom's unease (share of glitching nodes), [0, 1]
uniform vec4 u_focus;            // focal point x, y (canopy), strength, kind (0 hope, 1 crisis)
uniform float u_rally;           // the rallying thread's strength, [0, 1]

in vec2 v_uv;
out vec4 f_colour;

const vec3 WALL = vec3(0.018, 0.016, 0.014);
const vec3 LINEN = vec3(0.46, 0.41, 0.33);

// Weave structures: 1 where the weft passes over warp i on pick j.
float weft_over(int s, float i, float j) {
    if (s == 1) return step(mod(i + j, 4.0), 2.5);                        // 3/1 twill
    if (s == 2) return step(0.5, mod(i * 2.0 + j, 5.0));                  // 4/1 satin
    if (s == 3) return mod(floor(i * 0.5) + floor(j * 0.5), 2.0);         // 2x2 basket
    if (s == 4) {                                                         // herringbone
        float k = mod(floor(i / 6.0), 2.0) < 1.0 ? i + j : i - j;
        return step(mod(k, 4.0), 2.5);
    }
    if (s == 5) return step(mod(i + 2.0 * j, 3.0), 1.5);                  // 2/1 twill
    return 1.0;                                                           // tapestry pips
}

// Distance to the nearest edge of a jittered Voronoi tessellation (F2 - F1, in cells).
float crack_distance(vec2 x) {
    vec2 cell = floor(x);
    float f1 = 8.0, f2 = 8.0;
    for (int dy = -1; dy <= 1; dy++) {
        for (int dx = -1; dx <= 1; dx++) {
            vec2 o = cell + vec2(dx, dy);
            vec2 site = o + vec2(hash12(o), hash12(o + 17.1)) * 0.8 + 0.1;
            float d = length(x - site);
            if (d < f1) { f2 = f1; f1 = d; } else if (d < f2) { f2 = d; }
        }
    }
    return f2 - f1;
}

// A cylindrical thread across s in [-1, 1]: its normal's tilt and height.
float thread_height(float s) {
    return sqrt(max(1.0 - s * s, 0.0));
}

// The fringe and heading outside the woven part: warps hanging below, knotted in tassels;
// a rod above. Returns the colour, and its coverage in .a (0: the wall shows).
vec4 outside(vec2 q, vec2 c, float fw_x) {
    float aspect = u_resolution.x / u_resolution.y;
    // Heading: a dark wooden rod a little wider than the cloth.
    float rod_y = u_cloth_rect.y - 0.018;
    float ry = (q.y - rod_y) / 0.011;
    if (abs(ry) < 1.0 && q.x > u_cloth_rect.x - 0.012 && q.x < u_cloth_rect.x + u_cloth_rect.z + 0.012) {
        float h = thread_height(ry);
        vec3 wood = vec3(0.16, 0.09, 0.05) * (0.3 + 0.9 * max(dot(vec3(0.0, ry, h), LIGHT), 0.0));
        wood *= 0.85 + 0.15 * sin(q.x * 900.0 + sin(q.x * 37.0) * 4.0);
        return vec4(wood, 1.0);
    }
    // Between the rod and the cloth, the heading's loops.
    if (q.y > rod_y && q.y < u_cloth_rect.y && c.x > 0.0 && c.x < 1.0) {
        float loop = step(0.35, fract(c.x * 14.0));
        return vec4(LINEN * 0.35 * loop, loop);
    }
    // Fringe: groups of warps knotted below the last pick, hanging with a little sway.
    if (c.y > 1.0 && c.x > -0.004 && c.x < 1.004) {
        float hang = (c.y - 1.0) * u_cloth_rect.w;            // picture units below the cloth
        float group = floor(c.x * 46.0);
        float len = 0.045 + 0.02 * hash12(vec2(group, 2.0));
        if (hang > len) return vec4(0.0);
        float sway = sin(group * 1.7 + u_time * 0.4) * hang * 0.15;
        float x = (c.x - sway / u_cloth_rect.z) * u_rows * aspect * u_cloth_rect.z / u_cloth_rect.w * 0.5;
        float strand = abs(fract(x) - 0.5) / 0.3;
        float cov = 1.0 - smoothstep(1.0 - fw_x * 3.0, 1.0, strand);
        float knot = 1.0 - smoothstep(0.0, 0.006, abs(hang - 0.008));
        float gather = smoothstep(0.0, 0.01, hang) * 0.5;
        cov = max(cov * (1.0 - gather * step(0.5, abs(fract(c.x * 46.0) - 0.5) * 2.0)), knot * 0.9);
        vec3 col = LINEN * (0.35 + 0.5 * thread_height(min(strand, 1.0))) * (1.0 - hang / len * 0.5);
        return vec4(col, cov);
    }
    return vec4(0.0);
}

void main() {
    vec2 q = vec2(v_uv.x, 1.0 - v_uv.y);      // picture position, y down
    vec2 c = picture_to_canopy(q);           // canopy position
    float aspect = u_resolution.x / u_resolution.y;
    float cloth_aspect = aspect * u_cloth_rect.z / u_cloth_rect.w;

    // Thread space: picks (weft rows) along y, warps two picks apart along x.
    vec2 p = vec2(c.x * u_rows * cloth_aspect * 0.5, c.y * u_rows);
    float fw = max(fwidth(p.y), 1e-4);        // picks per pixel: the filter footprint
    float detail = 1.0 - smoothstep(0.22, 0.5, fw);

    // The selvedges wander a little where the weft turns; outside them, the wall.
    float selv = (hash12(vec2(floor(p.y), 5.0)) - 0.5) * 0.35 / (u_rows * cloth_aspect * 0.5);
    // (Derivatives are taken before any branch that differs between pixels.)
    float fw_x = max(fwidth(c.x * u_rows * cloth_aspect * 0.5), 1e-4);
    if (c.y < 0.0 || c.y > 1.0 || c.x < selv || c.x > 1.0 + selv) {
        vec4 o = outside(q, c, fw_x);
        // The cloth's soft shadow on the wall, down-light of it.
        vec2 sc = picture_to_canopy(q - vec2(0.012, 0.016));
        vec2 inside = step(vec2(0.0), sc) * step(sc, vec2(1.0));
        vec3 wall = WALL * (1.0 - 0.6 * inside.x * inside.y);
        f_colour = vec4(mix(wall, o.rgb, o.a), 1.0);
        return;
    }
    c = clamp(c, 0.0, 1.0);

    // The cloth's memory follows the nodes' districts; a gentle domain warp lets its edges
    // wander like torn and mended cloth instead of following the grid.
    vec2 warp = vec2(sin(c.y * 23.0 + c.x * 7.0), sin(c.x * 19.0 - c.y * 5.0)) * 0.014
              + vec2(sin(c.y * 61.0 + c.x * 9.0), sin(c.x * 57.0 - c.y * 7.0)) * 0.005;
    vec4 cl = texture(u_cloth, c + warp);     // growth v, unravel, scar, gold
    vec4 sent = texture(u_sentiment, c);
    float hope = sent.r, anger = sent.g, empathy = sent.b, trust = sent.a;
    vec4 grid = texture(u_grid, c + warp);
    float powered = smoothstep(0.3, 0.7, grid.r);
    float health = grid.g * 1.5;
    float stress = grid.b;
    float spark = grid.a;

    // The beaten weft undulates, more where anger pulls the threads tight; each pick sits a
    // little off its neighbours (hand work).
    float wave = sin(p.x * 0.11 + p.y * 0.031) * sin(p.x * 0.043 - p.y * 0.071);
    p.y += wave * 0.5 * (0.6 + 0.9 * anger + 1.6 * u_glitch);
    float j = floor(p.y);
    float fy = fract(p.y);
    p.x += (hash12(vec2(j, 1.9)) - 0.5) * 0.3;

    // Glitches are the loom's mistakes: where a node's health dips, bands of picks shear by
    // whole stitches, a wrong-colour pick runs, a thread snaps or floats loose.
    float band_j = floor(j / 3.0);
    float seg = floor(p.x / 7.0 + hash12(vec2(band_j, 3.7)) * 3.0);
    float unease = clamp((1.0 - min(health, 1.0)) * 6.0 + u_glitch * 0.45, 0.0, 1.0) * powered;
    float shear = 0.0, wrong = 0.0, snapped = 0.0, e_hash = 0.0;
    if (unease > 0.0) {           // (most of the cloth, most of the time, weaves true)
        shear = step(1.0 - 0.5 * unease, hash12(vec2(band_j * 1.37, seg)));
        p.x += shear * (1.0 + floor(hash12(vec2(seg, band_j)) * 2.0));
        e_hash = hash12(vec2(seg * 1.7, j + 0.5));
        wrong = step(1.0 - 0.15 * unease, e_hash);
        snapped = step(1.0 - 0.18 * unease, hash12(vec2(floor(p.x) * 0.5, j * 2.1))) * step(0.5, unease);
    }
    float i = floor(p.x);
    float fx = fract(p.x);

    // The pip (stitch) this pixel belongs to, and the community whose yarn it carries:
    // hatching joins, teeth of alternate pairs of picks reaching across the border, longer
    // as the city mixes.
    vec2 pip_c = vec2((i + 0.5) / (u_rows * cloth_aspect * 0.5), (j + 0.5) / u_rows);
    vec4 map = texture(u_map, clamp(pip_c, 0.0, 1.0));
    int own = int(map.r * 255.0 + 0.5);
    int other = int(map.g * 255.0 + 0.5);
    float dist = map.b * 255.0 / 8.0 / u_canopy.y * u_rows;   // border distance, in picks
    float pair = mod(floor(j * 0.5), 2.0);
    float side = own < other ? 1.0 : 0.0;
    float tooth = (pair == side ? 3.6 : 1.0) * (1.0 + hash12(vec2(j, float(own)))) + u_mix * 4.0;
    int comm = (abs(pair - side) < 0.5 && dist < tooth * 0.5) ? other : own;
    int s = comm % 6;
    float wealth = smoothstep(0.4, 1.0, u_wealth[comm]);

    // Yarns: each community's family (main, heather, darker warp), brightened by hope and
    // wealth, saturated by trust; rage creeps in as red picks.
    vec3 base = u_colours[comm];
    float pick_h = hash12(vec2(j * 0.71, float(comm) + floor(p.x / 5.0) * 0.13));
    vec3 yarn_a = saturate_colour(base, 0.9 + 0.4 * trust) * (0.85 + 0.6 * hope) * (0.8 + 0.4 * wealth);
    vec3 yarn_b = mix(yarn_a, vec3(luma(yarn_a)) * vec3(1.1, 1.0, 0.85), 0.3) * 1.1;
    // Hand-dyed, hand-spun: each stitch of the pick a little lighter or darker, thicker or
    // thinner than the next (no two alike, so the cloth never reads as tiles).
    float pip_h = hash12(vec2(i * 0.73, j * 1.13));
    vec3 weft = mix(yarn_a, yarn_b, step(0.65, pick_h)) * (0.88 + 0.24 * hash12(vec2(j, seg + 0.3)))
              * (0.9 + 0.2 * pip_h);
    weft = mix(weft, vec3(0.62, 0.08, 0.05), step(1.0 - 0.3 * smoothstep(0.35, 0.9, anger), pick_h));
    if (wrong > 0.5) {
        weft = mix(u_colours[(comm + 1 + int(e_hash * 7.0)) % max(u_communities, 1)] * 1.1, vec3(0.85, 0.88, 0.95), 0.25);
    }
    // In a mixing city the warps carry every district's colour: the cloth becomes a plaid.
    int warp_comm = comm;
    if (u_mix > 0.0 && hash12(vec2(floor(i / 3.0), 8.1)) < u_mix * 0.3) {
        warp_comm = (comm + 1 + int(hash12(vec2(floor(i / 3.0), 2.2)) * 5.0)) % max(u_communities, 1);
    }
    vec3 warp_yarn = mix(mix(base * 0.35, LINEN * 0.6, 0.4), u_colours[warp_comm] * 0.9, u_mix);
    if (u_mix > 0.05 && hash12(vec2(floor(p.x / 4.0) * 0.31, j * 1.9)) < u_mix * 0.08) {
        weft = u_colours[other] * (0.7 + 0.45 * hope);             // a pick from next door
    }

    // Structure: which thread is on top, and how long the weft float runs.
    float over = weft_over(s, i, j);
    float left = weft_over(s, i - 1.0, j);
    float right = weft_over(s, i + 1.0, j);
    if (wrong > 0.5 && unease > 0.35) {
        over = 1.0; left = 1.0; right = 1.0;                           // a float: skipped warps
    }
    float fxp = fx;
    if (s == 0) {                 // weft-faced tabby: a continuous pick rising over each warp
        fxp = fract(p.x + 0.5 * mod(j, 2.0) + (pip_h - 0.5) * 0.25);
        over = 1.0; left = 1.0; right = 1.0;
    }

    // Unravelling: where the cloth comes away, picks are missing to the bare warp; their ends
    // hang loose and sag. A fresh failure leaves scorched ends with an ember's glow.
    float unravel = cl.g;
    float thr = unravel > 0.005 ? 0.12 + 0.75 * noise2(vec2(p.x * 0.22, j * 1.31)) : 1.0;
    float gone = step(thr, unravel);
    float edge = 1.0 - smoothstep(0.0, 0.08, abs(unravel - thr));
    float loose = edge * step(0.05, unravel);
    float reweave = powered * smoothstep(0.03, 0.2, unravel) * (1.0 - gone);

    // Mended: the re-woven part of a scar is darned in a plain weave; gold fills it as the
    // city bonds (kintsugi veins), and a gold seam traces the old wound.
    float scar = cl.b;
    float mended = smoothstep(0.15, 0.35, scar - unravel);
    float gold = cl.a;
    if (mended > 0.5) {
        over = mod(i + j, 2.0);
    }
    // Kintsugi: the mended cloth's cracks, polygonal like broken ware, filled with gold.
    float crack = gold > 0.02 && mended > 0.5 ? crack_distance(p * vec2(0.09, 0.18)) : 1.0;
    float vein_w = 0.035 * smoothstep(0.15, 0.7, gold);
    float vein = (1.0 - smoothstep(vein_w, vein_w + 0.03 + fw * 0.1, crack)) * step(0.005, vein_w) * mended;

    // Gold brocade: a supplementary weft in zigzags across every border as the city bonds.
    float band = 1.0 - smoothstep(0.6, 1.0, dist / (1.0 + 2.0 * u_gild));
    float zig = abs(mod(j, 8.0) - 4.0);
    float brocade = u_gild * band * step(mod(i + zig, 6.0), 1.5) * step(0.5, mod(j, 2.0));

    // The rallying thread: a single gold pick woven out from the focal point, reaching
    // further as hopeful visitors gather.
    float rally_row = floor(u_focus.y * u_rows);
    float reach = u_rally * 0.6;
    float rally = step(abs(j - rally_row - 0.5), 1.0) * step(abs(c.x - u_focus.x) * cloth_aspect, reach);

    vec3 metal = GOLD * 1.3;
    vec3 colour_weft = weft;
    float metallic = 0.0;
    if (vein > 0.5 || brocade > 0.5 || rally > 0.5) {
        colour_weft = rally > 0.5 ? GOLD * 1.15 : metal;
        metallic = 1.0; over = 1.0;
    }

    // Density: rich districts pack full, plump picks; poor ones thin, with the warp between.
    float half_w = mix(0.4, 0.56, wealth) * (0.88 + 0.24 * hash12(vec2(j * 3.1, seg))) * (0.9 + 0.2 * pip_h);
    if (rally > 0.5) half_w = 0.56;
    half_w *= 1.0 - 0.55 * loose;
    half_w *= 1.0 - 0.3 * shear;              // a sheared band is pulled thin: gaps open
    float aa = max(fw * 1.5, 0.14);   // soft edges: the yarn's fuzz
    // Loose ends sag below their row.
    float sag = loose > 0.0 ? loose * (1.0 - gone) * 0.6 * hash12(vec2(i, j)) : 0.0;
    float sy = (fy - 0.5 - sag) / half_w;
    // Edge transitions are centred on the thread's edge, so widening them to filter a large
    // footprint keeps each thread's coverage (and the cloth's mean brightness) unchanged.
    float weft_cov = 1.0 - smoothstep(1.0 - 0.5 * aa / half_w, 1.0 + 0.5 * aa / half_w, abs(sy));
    weft_cov *= 1.0 - snapped * (1.0 - smoothstep(0.1, 0.45, abs(fxp - 0.5)));
    // Where a float ends the weft dips under a warp; a packed pick also swells and sinks
    // gently over each warp it crosses (the over-and-under you see in the light).
    float dip_l = left > 0.5 ? 0.0 : 1.0 - smoothstep(0.0, 0.3, fxp);
    float dip_r = right > 0.5 ? 0.0 : 1.0 - smoothstep(0.0, 0.3, 1.0 - fxp);
    float ends = max(dip_l, dip_r) * 0.6 + 0.12 * (0.5 + 0.5 * cos(6.2832 * fxp));
    float hy = thread_height(sy);
    vec3 n_weft = normalize(vec3((dip_r - dip_l) * 0.9, sy * 0.95, hy + 0.15));
    float wx = (fx - 0.5) / 0.3;
    float warp_cov = 1.0 - smoothstep(1.0 - aa, 1.0 + aa, abs(wx));
    vec3 n_warp = normalize(vec3(wx * 0.9, 0.0, thread_height(wx) + 0.2));

    // Light: diffuse under the raking light plus a glossy line along each thread (the cloth's
    // anisotropic sheen), broken by the ply twist; gold catches it hardest.
    vec3 half_v = normalize(LIGHT + vec3(0.0, 0.0, 1.0));
    float gloss_exp = mix(10.0, 4.0, clamp(fw * 2.5, 0.0, 1.0));
    float ply = 0.7 + 0.3 * sin(6.2832 * (fxp * 2.2 + sy * 0.45 + j * 0.37));
    float sheen_w = (0.08 + 0.5 * trust * wealth * (0.4 + 1.2 * pip_h) + 1.5 * metallic) * ply;
    float dw = max(dot(n_weft, LIGHT), 0.0);
    float spw = pow(max(dot(n_weft, half_v), 0.0), gloss_exp);
    vec3 lit_weft = colour_weft * (0.45 + 0.7 * dw) * (1.0 - 0.45 * ends)
                  + mix(colour_weft, vec3(1.0), 0.45 - 0.3 * metallic) * spw * sheen_w;
    float dwp = max(dot(n_warp, LIGHT), 0.0);
    vec3 lit_warp = warp_yarn * (0.25 + 0.75 * dwp);
    // Between the picks: the crevice, the packed yarn's own colour in shadow; a threadbare
    // district shows its warp there.
    vec3 backing = mix(colour_weft * 0.22, warp_yarn * 0.3, 1.0 - wealth);

    vec3 cloth;
    if (over > 0.5) {
        cloth = mix(mix(backing, lit_warp * 0.6, warp_cov * (1.0 - wealth) * 0.7), lit_weft, weft_cov);
    } else {
        cloth = mix(mix(backing, lit_weft * 0.45, weft_cov * 0.6), lit_warp, warp_cov);
    }
    // Bare warp where the weft is gone: uneven threads (some snapped) over the wall's dark.
    float bare_x = (fx - 0.5 + 0.15 * sin(p.y * 0.9 + i * 1.7)) / (0.16 + 0.1 * hash12(vec2(i, 4.0)));
    float bare_cov = (1.0 - smoothstep(1.0 - aa * 1.5, 1.0 + aa * 1.5, abs(bare_x))) * step(0.12, hash12(vec2(i, floor(p.y / 9.0))));
    vec3 bare = mix(WALL, LINEN * (0.35 + 0.5 * thread_height(min(abs(bare_x), 1.0))) * (0.6 + 0.5 * hash12(vec2(i, 7.0))), bare_cov);
    cloth = mix(cloth, bare, gone);
    // Loose weft ends hang into the hole from a pick still in place just above (the cloth's
    // memory is smooth at this scale, so this pixel's unravelling stands for the rows above;
    // their own thresholds decide which of them still hold).
    if (gone > 0.5 && QUALITY >= 1) {
        float j1 = j - 1.0 - step(0.5, hash12(vec2(floor(p.x * 2.0), j)));
        float thr1 = 0.12 + 0.75 * noise2(vec2(p.x * 0.22, j1 * 1.31));
        float strand_x = (hash12(vec2(floor(p.x * 2.0), j1)) - 0.5) * 0.6;
        float wave = 0.12 * sin((p.y - j1) * 3.0 + hash12(vec2(i, j1)) * 6.0);
        float sx = abs(fract(p.x * 2.0) - 0.5 - strand_x - wave) / 0.09;
        float hang = step(unravel, thr1) * step(hash12(vec2(floor(p.x * 2.0) + 0.5, j1)), 0.45);
        float cov = (1.0 - smoothstep(1.0 - aa * 3.0, 1.0 + aa * 3.0, sx)) * hang;
        cloth = mix(cloth, weft * (0.3 + 0.5 * thread_height(min(sx, 1.0))), cov);
    }
    vec3 burnt = vec3(0.08, 0.035, 0.015);
    float scorch = loose * (1.0 - gone) * smoothstep(0.05, 0.4, spark) * (1.0 - powered);
    cloth = mix(cloth, burnt * (0.5 + 0.5 * hy), scorch * 0.8);
    vec3 ember = vec3(1.6, 0.45, 0.08) * scorch * 1.8 * spark;
    ember *= 0.65 + 0.35 * sin(u_audio_time * 1.3 + j * 0.7 + p.x * 0.2);

    // The yarns' mean, for footprints too large to show single threads.
    // (Calibrated against the area average of the detailed cloth at 4x the size.)
    float mean_cov = mix(0.72, 0.92, wealth);
    vec3 mean_cloth = mix(backing, mix(colour_weft, warp_yarn, s == 0 ? 0.05 : 0.25) * 0.9, mean_cov);
    mean_cloth = mix(mean_cloth, mix(WALL, LINEN * 0.3, 0.3), gone);
    mean_cloth = mix(mean_cloth, burnt, scorch * 0.6);
    if (QUALITY >= 1) {
        // Slub: the hand-spun yarn thickens and thins along its length.
        float slub = 0.86 + 0.14 * (1.0 + sin(p.x * 3.1 + j * 2.3) * sin(p.x * 1.3 - j * 0.7));
        cloth *= slub;
    }
    // Where the power has failed the cloth falls dark at once, before it comes apart.
    vec3 colour = mix(mean_cloth, cloth, detail) * mix(0.38, 1.0, powered);

    // Darning: while damage is mended, the neighbours' yarns fill it as darned patches, a
    // plain weave in another district's colour (every district lends a hand); gold takes
    // their place as the city bonds.
    float front = smoothstep(0.1, 0.2, scar - unravel) * (1.0 - smoothstep(0.35, 0.5, scar - unravel));
    float darn_area = max(smoothstep(0.05, 0.3, unravel) * powered * (1.0 - gone), front) * (1.0 - smoothstep(0.15, 0.5, gold));
    if (darn_area > 0.01) {
        vec2 patch_cell = floor(c * vec2(11.0, 7.0) + warp * 40.0);
        int helper = (own + 1 + int(hash12(patch_cell) * 5.0)) % max(u_communities, 1);
        float dx_ = abs(fract(p.x * 2.0) - 0.5) / 0.32;
        float dy_ = abs(fract(p.y * 1.0) - 0.5) / 0.4;
        bool up = mod(floor(p.x * 2.0) + floor(p.y), 2.0) < 1.0;
        float cov = 1.0 - smoothstep(1.0 - 0.5 * aa, 1.0 + 0.5 * aa, up ? dx_ : dy_);
        float sh = thread_height(min(up ? dx_ : dy_, 1.0));
        vec3 yarn = u_colours[helper] * (0.7 + 0.5 * hope) * (0.35 + 0.75 * sh);
        colour = mix(colour, mix(yarn * 0.3, yarn, cov), darn_area * step(0.35, hash12(patch_cell + 0.5)) * mix(0.7, 1.0, detail));
    }

    // Embroidery: growth worked in raised French knots, denser where the canopy thrives,
    // each with its shade down-light.
    float v = cl.r;
    float density = smoothstep(0.22, 0.36, v) * 0.45 * powered;
    vec2 kcell = floor(vec2(p.x, p.y * 0.5));
    float kx = fract(p.x) - 0.5;
    float ky = (fract(p.y * 0.5) - 0.5);
    float kr = length(vec2(kx, ky)) / 0.42;
    float has_knot = step(hash12(kcell * vec2(1.7, 0.9) + 3.0), density);
    if (has_knot > 0.5) {
        vec3 floss = mix(yarn_a * 1.15 + vec3(0.05, 0.03, 0.0), vec3(0.95, 0.55, 0.5), clamp(empathy * 1.2 - 0.4, 0.0, 0.6));
        floss = mix(floss, GOLD, u_gild * 0.4) * (0.5 + 0.5 * hope);
        vec3 kn = normalize(vec3(kx / 0.42, ky / 0.42, thread_height(min(kr, 1.0)) + 0.05));
        float turns = 0.8 + 0.2 * sin(atan(ky, kx + 1e-6) * 5.0 + kr * 8.0);
        vec3 knot = floss * (0.25 + 0.95 * max(dot(kn, LIGHT), 0.0)) * turns;
        float cov = 1.0 - smoothstep(0.85, 1.0, kr);
        float shade = (1.0 - smoothstep(0.6, 1.3, length(vec2(kx - 0.12, ky - 0.1)) / 0.42)) * 0.5;
        colour *= 1.0 - shade * (1.0 - cov) * detail;
        colour = mix(colour, knot, cov * mix(0.55, 1.0, detail));
    }

    // Stress warms the weave red before a node gives way.
    colour += vec3(0.22, 0.03, 0.0) * smoothstep(0.8, 1.0, stress) * powered;
    colour += ember * mix(0.5, 1.0, detail);

    // Light running along the rallying thread, outward from the focal point, and the glow
    // it casts on the picks beside it.
    float dx = abs(c.x - u_focus.x) * cloth_aspect;
    if (rally > 0.5) {
        float run = fract(dx * 3.0 - u_audio_time * 0.3);
        colour += GOLD * smoothstep(0.85, 1.0, run) * hy * spw * 3.0 * u_rally;   // a glint
    }
    // Lanterns: small lights where a node was just mended or visitors are helping.
    // Lanterns where the cloth is being mended: small lights at the fresh repairs.
    float glint = step(0.975, hash12(vec2(i * 1.31, j * 0.77))) * (1.0 - smoothstep(0.1, 0.45, length(vec2(fxp - 0.5, (fy - 0.5) * 0.5))));
    float mending = max(reweave, mended * (1.0 - smoothstep(0.1, 0.5, gold)));
    colour += vec3(1.9, 1.5, 0.85) * spark * powered * glint * 2.2 * mending;

    f_colour = vec4(colour, 1.0);
}
