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

// A thread's edge softness for a footprint of fw picks a pixel.
float aa_r(float fw) {
    return max(fw * 1.5, 0.14);
}

#ifndef QUALITY
#define QUALITY 1
#endif

uniform sampler2D u_sentiment;   // hope, anger, empathy, trust (linear)
uniform sampler2D u_grid;        // powered, health / 1.5, stress, spark (linear)
uniform sampler2D u_cloth;       // growth v, unravel, scar, gold (linear)
uniform sampler2D u_map;         // community, neighbour community, border distance (nearest)
uniform sampler2D u_border;      // signed distance to the nearest border (cells), its gradient (linear)
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
uniform float u_mend;            // the districts sewn together after an outage, [0, 1]

in vec2 v_uv;
out vec4 f_colour;

const vec3 WALL = vec3(0.04, 0.036, 0.032);   // a dim gallery wall, so the cloth's shadow reads
const vec3 LINEN = vec3(0.46, 0.41, 0.33);

// A cylindrical thread across s in [-1, 1]: its normal's tilt and height.
float thread_height(float s) {
    return sqrt(max(1.0 - s * s, 0.0));
}

// Turned wood under the raking light (lit: the surface's diffuse light, 0..1): the pole and
// its finials.
vec3 turned_wood(float lit) {
    return vec3(0.3, 0.17, 0.08) * (0.25 + 0.9 * lit) + vec3(0.5, 0.38, 0.25) * pow(lit, 24.0);
}

// The second ply of a heathered yarn: a shade paler and greyer than the first.
vec3 yarn_b_of(vec3 yarn) {
    return mix(yarn, vec3(luma(yarn)) * vec3(1.1, 1.0, 0.85), 0.3) * 1.1;
}

// How far a canopy cell has power (the grid's first channel), softened across 0.3..0.7.
float power_of(float grid_r) {
    return smoothstep(0.3, 0.7, grid_r);
}

// How far the cloth (u_cloth: growth, unravel, scar, gold) is re-woven scar: scarred, and no
// longer unravelled.
float mended_of(vec4 cloth) {
    return smoothstep(0.15, 0.35, cloth.b - cloth.g);
}

// How far a texel of u_map lies from its district's border (stored in eighths of a cell), in
// picks.
float border_picks(vec4 map) {
    return map.b * 255.0 / 8.0 / u_canopy.y * u_rows;
}

// Which neighbouring community lends its yarn to mend community own's cloth at pick j (one
// lender for each six picks, never own itself): the same while it is mended and after.
int lender_of(int own, float j) {
    int others = max(u_communities - 1, 1);
    return (own + 1 + int(hash12(vec2(floor(j / 6.0), 3.0)) * 5.0) % others) % max(u_communities, 1);
}

// The district that comes to mend community own's cloth where its nearest other district is
// other: that neighbour, or (a district with no neighbour) its lender for pick j.
int helper_of(int own, int other, float j) {
    return other != own ? other : lender_of(own, j);
}

// One whipped stitch of the mobilisation's seams, at a picks along the border and sd picks
// from it (n: the border's normal, axis: the cloth's axis the stitches are counted along):
// its distance from the thread's middle, in picks. Out: where along its stitch it is (0..1)
// and how far the stitch reaches either side. Every stitch slants the same way across the
// border, each by hand a little longer or shorter than the last and bowed a little.
const float SEAM_W = 3.8;        // picks either side a stitch reaches (on average)
const float SEAM_L = 5.0;        // picks along the border between two stitches

float whip_stitch(float a, float sd, vec2 n, vec2 axis, out float ph, out float reach) {
    ph = fract(a / SEAM_L);
    float tri = 2.0 * ph - 1.0;
    float k = floor(a / SEAM_L);
    reach = SEAM_W * (0.75 + 0.5 * hash12(vec2(k, 6.1)));
    float bowed = 0.5 * (hash12(vec2(k, 2.3)) - 0.5) * (1.0 - tri * tri);
    return abs(sd - reach * tri - bowed) / length(n - reach * (2.0 / SEAM_L) * axis);
}

// The sewing needle's half width, in picks, a share t along it from the eye (0) to the
// point (1): round along its shank, tapering over its last quarter to the point.
float needle_radius(float t) {
    return 0.7 * min(1.0, (1.0 - t) / 0.25) + 0.03;
}

// The united city's band: a row of stepped lozenges on an ivory ground, each worked in
// another district's yarn with a lozenge of a third inside it, edged in gold, so every
// identity is carried in one motif that none of them had before. along: picks along the band
// (a stitch's centre), dy: picks across it from its middle, half_band: its half width.
// Returns the yarn; edge is 1 on the gold edges.
vec3 shared_band(float along, float dy, float half_band, float full, float hope, out float edge) {
    edge = step(half_band - 1.6, abs(dy));
    // (Stepped a warp and a pick at a time, as a tapestry weaver builds a motif. Its motifs
    // are laid out for the band's full width (full), which it grows to from its middle: a
    // growing band shows more of the same lozenges, never slides or rescales them.)
    float inner = full - 1.6;
    float period = 2.4 * inner;                    // picks along the band
    float k = floor(along / period);
    float lx = abs(fract(along / period) - 0.5) * period;
    float lozenge = lx / (0.46 * period) + abs(dy) / (0.92 * inner);
    int n = max(u_communities, 1);
    int first = int(mod(k, float(n)));
    vec3 ivory = vec3(0.93, 0.86, 0.7) * (0.75 + 0.3 * hope);
    return lozenge < 0.2 ? ivory
         : lozenge < 0.5 ? u_colours[(first + 2) % n] * (1.05 + 0.35 * hope)
         : lozenge < 1.0 ? u_colours[first] * (1.0 + 0.35 * hope)
         : ivory;
}

// The motif each community weaves into its ground, at stitch p (in picks, square), with the
// lattice offset of community k and structure st: -1 its dark outline, +1 its light fill,
// 0 the ground. Kilim motifs: decided per stitch, so their diagonals step as woven ones do.
// cell: which motif of the lattice p falls in.
float district_motif(vec2 p, int k, int st, out vec2 cell) {
    const float CELL = 26.0;
    vec2 o = vec2(hash12(vec2(float(k), 1.3)), hash12(vec2(float(k), 2.9))) * CELL;
    vec2 g = (p + o) / CELL;
    float zig_x = g.x;                          // (the zigzag runs on unbroken)
    g.x += 0.5 * mod(floor(g.y), 2.0);          // (rows of motifs a half step apart)
    cell = floor(g) + float(k) * 17.0;
    vec2 d = (fract(g) - 0.5) * CELL;
    float ax = abs(d.x), ay = abs(d.y), r = ax + ay;
    if (st == 0) {                               // lozenge with a light heart
        return r < 3.5 ? 1.0 : (r > 8.0 && r < 10.5) ? -1.0 : 0.0;
    } else if (st == 1) {                        // hooked lozenge
        bool hook = (ay < 1.6 && ax > 9.0 && ax < 12.0) || (ax < 1.6 && ay > 9.0 && ay < 12.0);
        return r < 2.5 ? 1.0 : ((r > 6.5 && r < 8.6) || hook) ? -1.0 : 0.0;
    } else if (st == 2) {                        // stepped cross
        float lo = min(ax, ay), hi = max(ax, ay);
        return (lo < 2.2 && hi < 8.5) ? 1.0 : (lo < 3.8 && hi < 10.0) ? -1.0 : 0.0;
    } else if (st == 3) {                        // running zigzag bands
        float z = fract((d.y + abs(fract(zig_x) - 0.5) * CELL * 0.8) / CELL);
        return z < 0.16 ? -1.0 : (z > 0.45 && z < 0.6) ? 1.0 : 0.0;
    } else if (st == 4) {                        // hourglass
        return (ay > ax + 1.5 && ay < 9.5) ? 1.0 : (ay > ax - 0.5 && ay < 11.0) ? -1.0 : 0.0;
    }
    float star = min(max(ax, ay) * 1.5, r);      // eight-pointed star
    return star < 7.5 ? 1.0 : star < 9.5 ? -1.0 : 0.0;
}

// The fringe and heading outside the woven part: the warps hang below, gathered in knotted
// tassels; above, the cloth hangs by loops from a turned wooden pole with round finials.
// Returns the colour, and its coverage in .a (0: the wall shows).
vec4 outside(vec2 q, vec2 c, float fw_x) {
    float aspect = u_resolution.x / u_resolution.y;
    // Heading: the pole, a lathe-turned cylinder lit from above left, a little wider than
    // the cloth, with a ball at each end.
    float rod_y = u_cloth_rect.y - 0.018;
    float ry = (q.y - rod_y) / 0.011;
    float x0 = u_cloth_rect.x - 0.014, x1 = u_cloth_rect.x + u_cloth_rect.z + 0.014;
    for (int e = 0; e < 2; e++) {
        vec2 d = (q - vec2(e == 0 ? x0 : x1, rod_y)) * vec2(aspect, 1.0) / 0.016;
        float r = length(d);
        if (r < 1.0) {
            vec3 nb = vec3(d, sqrt(1.0 - r * r));
            float lit = max(dot(nb, LIGHT), 0.0);
            return vec4(turned_wood(lit), 1.0);
        }
    }
    if (abs(ry) < 1.0 && q.x > x0 && q.x < x1) {
        float h = thread_height(ry);
        float lit = max(dot(vec3(0.0, ry, h), LIGHT), 0.0);
        float grain = 0.85 + 0.15 * sin(q.x * 900.0 + sin(q.x * 37.0) * 4.0);
        return vec4(turned_wood(lit) * grain, 1.0);
    }
    // Between the pole and the cloth, the heading's tabs, folded over the pole.
    if (q.y > rod_y && q.y < u_cloth_rect.y && c.x > 0.0 && c.x < 1.0) {
        float tab = fract(c.x * 14.0);
        float loop = step(0.3, tab) * step(tab, 0.92);
        float fold = thread_height(clamp((tab - 0.61) / 0.31, -1.0, 1.0));
        return vec4(LINEN * (0.25 + 0.45 * fold) * loop, loop);
    }
    // Fringe: four to seven warps to a tassel, drawn together into an overhand knot just
    // below the kilim's end, then hanging loose, each its own length, swaying a little.
    // (Tied by hand, no two alike: each knot its own size, height and place, each tassel
    // its own fullness and lean, some splayed, some hanging close. Five warps to every
    // tassel, knotted alike, read to fresh eyes as a row of identical beads.)
    if (c.y > 1.0 && c.x > 0.0 && c.x < 1.0) {
        float hang = (c.y - 1.0) * u_cloth_rect.w;            // picture units below the cloth
        float groups = 46.0;
        float g = floor(c.x * groups);
        float u = fract(c.x * groups);
        float n_strands = 4.0 + floor(hash12(vec2(g, 1.4)) * 4.0);
        float knot_s = 0.8 + 0.5 * hash12(vec2(g, 6.6));          // the knot's size
        float knot_y = (0.009 + 0.005 * hash12(vec2(g, 8.8))) * knot_s;
        float len = 0.026 + 0.05 * hash12(vec2(g, 2.0)) * hash12(vec2(g, 3.1));
        float off = (hash12(vec2(g, 4.2)) - 0.5) * 0.16;
        float lean = (hash12(vec2(g, 9.4)) - 0.5) * 0.5;           // (hung its own way)
        float splay = 0.5 + 1.1 * hash12(vec2(g, 10.2));           // (close or spread)
        float sway = (sin(g * 1.7 + u_time * 0.4) + 0.8 * (hash12(vec2(g, 5.3)) - 0.5)) * max(hang - knot_y, 0.0) * 2.0;
        float px = u_resolution.x * u_cloth_rect.z / groups;  // pixels across a tassel
        // The undyed warp, carrying a little of the district woven above it.
        int above = int(texture(u_map, vec2((g + 0.5) / groups, 0.995)).r * 255.0 + 0.5);
        vec3 yarn = mix(vec3(0.74, 0.67, 0.53), u_colours[above] * 0.8, 0.15) * (0.8 + 0.3 * hash12(vec2(g, 7.0)));
        float cov = 0.0;
        float shade = 0.0;
        float tone = 1.0;
        for (int k = 0; k < 7; k++) {
            float fk = float(k);
            if (fk >= n_strands) break;
            float own_len = len * (0.8 + 0.4 * hash12(vec2(g, fk)));
            if (hang > own_len) continue;
            float spread = (fk - 0.5 * (n_strands - 1.0)) * 0.16 * 5.0 / n_strands;
            float below = max(hang - knot_y, 0.0) / own_len;         // 0 at the knot, 1 at its end
            float x = hang < knot_y
                ? mix(0.5 + spread * 1.25, 0.5 + off + spread * 0.25, smoothstep(0.0, knot_y, hang))
                : 0.5 + off + spread * (0.25 + 0.9 * splay * below) + sway + lean * below
                  + 0.02 * sin(hang * 240.0 + fk * 2.0);
            // (Each strand a little thinner towards its end, where its plies open.)
            float d = abs(u - x) * px / (1.6 * (1.0 - 0.35 * below));   // in strand half widths
            float cv = 1.0 - smoothstep(1.0 - fw_x, 1.0 + fw_x, d);
            if (cv > cov) {
                cov = cv;
                shade = thread_height(min(d, 1.0)) * (1.0 - 0.4 * hang / own_len);
                tone = 0.85 + 0.3 * hash12(vec2(g * 7.0 + fk, 11.0));
            }
        }
        // The knot: a lumpy bundle where the strands cross (two turns, one over the other).
        vec2 kd = vec2((u - 0.5 - off) * px, (hang - knot_y) * u_resolution.y) / vec2(0.28 * knot_s * px, 0.006 * knot_s * u_resolution.y);
        float ka = atan(kd.y, kd.x);
        float kr = length(kd) / (1.0 + 0.12 * sin(ka * 2.0 + g));
        if (kr < 1.0) {
            vec3 nk = vec3(kd, sqrt(max(1.0 - kr * kr, 0.0)));
            float turns = 0.7 + 0.3 * sin(ka * 2.0 + kd.x * 3.0 + kd.y * 5.0 + g);
            return vec4(yarn * (0.3 + 0.8 * max(dot(normalize(nk), LIGHT), 0.0)) * turns, 1.0);
        }
        return vec4(yarn * tone * (0.3 + 0.6 * shade), cov);
    }
    return vec4(0.0);
}

void main() {
    vec2 q = vec2(v_uv.x, 1.0 - v_uv.y);      // picture position, y down
    vec2 c = picture_to_canopy(q);           // canopy position
    float aspect = u_resolution.x / u_resolution.y;
    float cloth_aspect = aspect * u_cloth_rect.z / u_cloth_rect.w;
    float warps_x = u_rows * cloth_aspect * 0.5;   // warps across the cloth

    // Thread space: picks (weft rows) along y, warps two picks apart along x.
    vec2 p = vec2(c.x * u_rows * cloth_aspect * 0.5, c.y * u_rows);
    float fw = max(fwidth(p.y), 1e-4);        // picks per pixel: the filter footprint
    // (Single picks are drawn down to under three pixels a pick: at 1080p, where the cloth
    // pass weaves 2.7 pixels a pick, a fade from 0.22 left them half blended into the smooth
    // field, and every pick-stepped edge (hachures, torn and mended edges, failing power)
    // went soft, read to fresh eyes as airbrush and camouflage. At 720p, 1.8 pixels a pick,
    // they still fade out whole.)
    float detail = 1.0 - smoothstep(0.3, 0.55, fw);

    // The selvedges wander a little where the weft turns; outside them, the wall.
    float selv = (hash12(vec2(floor(p.y), 5.0)) - 0.5) * 0.35 / warps_x;
    // The weaver's draw-in: the weft pulls the selvedges in a little towards the middle.
    // (Unevenly: the tension changed as the work went on, so the sides wave gently.)
    float draw_in = 0.008 * sin(clamp(c.y, 0.0, 1.0) * 3.1416) + 0.004 * sin(c.y * 7.3 + 1.0) * sin(c.y * 3.1416);
    // Hung from its tabs, the cloth's top edge sags a little between them.
    float sag = 0.007 * pow(sin(3.1416 * fract(c.x * 14.0 - 0.61)), 2.0);
    // The cloth's memory follows the nodes' districts; a gentle domain warp lets its edges
    // wander like torn and mended cloth instead of following the grid.
    vec2 cw = clamp(c, 0.0, 1.0);
    vec2 warp = vec2(sin(cw.y * 23.0 + cw.x * 7.0), sin(cw.x * 19.0 - cw.y * 5.0)) * 0.014
              + vec2(sin(cw.y * 61.0 + cw.x * 9.0), sin(cw.x * 57.0 - cw.y * 7.0)) * 0.005;
    // The mending's patches: cells of the cloth, their outlines wandering with the warp.
    vec2 patch_q = cw * vec2(11.0, 7.0) + warp * 12.0;
    // (Derivatives are taken before any branch that differs between pixels.)
    float fw_x = max(fwidth(c.x * u_rows * cloth_aspect * 0.5), 1e-4);
    // (Cells a pick, across and down, for the patches' edges: the warp stretches them.)
    vec2 patch_dq = max(fwidth(patch_q) / fw, vec2(1e-4));
    if (c.y < sag || c.y > 1.0 || c.x < selv + draw_in || c.x > 1.0 + selv - draw_in) {
        vec4 o = outside(q, c, fw_x);
        // The cloth's soft shadow on the wall, down-light of it.
        vec2 sc = picture_to_canopy(q - vec2(0.012, 0.016));
        vec2 inside = step(vec2(0.0), sc) * step(sc, vec2(1.0));
        vec3 wall = WALL * (1.0 - 0.6 * inside.x * inside.y);
        f_colour = vec4(mix(wall, o.rgb, o.a), 1.0);
        return;
    }
    c = clamp(c, 0.0, 1.0);

    vec4 sent = texture(u_sentiment, c);
    float hope = sent.r, anger = sent.g, empathy = sent.b, trust = sent.a;

    // The beaten weft undulates, more where anger pulls the threads tight; each pick sits a
    // little off its neighbours (hand work).
    float wave = sin(p.x * 0.11 + p.y * 0.031) * sin(p.x * 0.043 - p.y * 0.071);
    p.y += wave * 0.5 * (1.1 + 0.9 * anger + 1.6 * u_glitch);
    // Eccentric weft: beaten by hand, the picks bow over whole areas, packed a little
    // tighter here and looser there, so rows of motifs bend as they do in a real tapestry
    // (never a ruled grid).
    p.y += 2.4 * sin(p.x * 0.019 + 1.3 + 0.9 * sin(p.y * 0.015)) * sin(p.y * 0.023 + 0.5);
    // (And beaten harder in some passes than others: the picks' pitch changes by a seventh
    // up and down the cloth, differently across it.)
    p.y += 1.6 * sin(p.y * 0.09 + 1.5 * sin(p.x * 0.011 + 0.4));
    float j = floor(p.y);
    float fy = fract(p.y);
    // The cloth's memory, read a few stitches off its place pick by pick: each pick of a
    // torn or mended edge ends at its own warp, as a weaver's picks do (steps, not a curve).
    // (Only where single picks show: smaller, the edge keeps its smooth line, and still.)
    float row_shift = (hash12(vec2(j, 2.7)) - 0.5) * 7.0 * detail / warps_x;
    // (Read at the warp the pixel lies on: a pick that comes away, or is woven again, ends
    // at a warp, never half way across one.)
    float at_warp = mix(c.x, (floor(p.x) + 0.5) / warps_x, detail);
    vec4 cl = texture(u_cloth, vec2(at_warp, c.y) + warp + vec2(row_shift, 0.0));   // growth v, unravel, scar, gold
    // Power fails pick by pick: a dark district is woven dark, its edge hatched like any
    // join (filtered to the smooth field where single picks are too small to see).
    // (The grid is read once a pick, at its middle: one fetch serves the pick's power and
    // the node's health, stress and spark, which vary far more slowly than a pick.)
    vec4 grid = texture(u_grid, vec2(c.x, (j + 0.5) / u_rows) + warp);
    float powered = power_of(grid.r);
    float health = grid.g * 1.5;
    float stress = grid.b;
    float spark = grid.a;
    float pick_power = grid.r;
    // (In runs of 3 to 9 warps, each pick's runs in their own places: a pick fades where it
    // fades, never in a grid of blocks.)
    float run_w = 3.0 + floor(hash12(vec2(j, 8.8)) * 7.0);
    float run_k = floor(p.x / run_w + hash12(vec2(j, 9.9)));
    powered = mix(powered, step(0.3 + 0.4 * hash12(vec2(j, run_k)), pick_power), detail);
    // The warps run straight, whatever the weft does, but were set up by hand: their
    // spacing drifts a little across the cloth (no machine grid).
    float warp_x = p.x + 0.2 * sin(p.x * 0.41 + 1.7) + 0.08 * sin(p.x * 1.37);
    p.x += (hash12(vec2(j, 1.9)) - 0.5) * 0.3;

    // The stitch this pixel belongs to, and the districts the map puts it between.
    // (Read where the stitch belongs, never where a glitch's shear moves it: a sheared band
    // misregisters each district's own pattern, and dragged across a join it left stranded
    // blocks of one district's colour in the next, a raster's, not a loom's.)
    vec2 pip_c = vec2((floor(p.x) + 0.5) / warps_x, (j + 0.5) / u_rows);
    // (The map's borders are drawn in free curves once per world: simulation/fields.py.)
    vec4 map = texture(u_map, clamp(pip_c, 0.0, 1.0));

    // Glitches are the loom's mistakes: where a node's health dips, bands of picks shear by
    // whole stitches, a wrong-colour pick runs, a thread snaps or floats loose.
    float band_j = floor(j / 5.0);
    float seg = floor(p.x / 7.0 + hash12(vec2(band_j, 3.7)) * 3.0);
    // (In an outage's dark the surviving cloth huddles whole: what is left of the city holds.)
    float unease = clamp((1.0 - min(health, 1.0)) * 6.0 + u_glitch * 0.25, 0.0, 1.0) * powered
                 * (1.0 - 0.8 * smoothstep(0.1, 0.4, u_outage))
                 * mix(1.5, 0.15, smoothstep(0.4, 1.0, u_wealth[int(map.r * 255.0 + 0.5)]));
    // (A city sewing itself back together weaves true again where it mends: the faults
    // left are the nodes it is repairing. Wrong picks scattered over a mending city read
    // to fresh eyes as the glitches, or as decay.)
    unease = min(unease, 1.0) * (1.0 - u_mend);   // (the poorest districts suffer first)
    float shear = 0.0, wrong = 0.0, snapped = 0.0, e_hash = 0.0, float_err = 0.0, float_t = 0.5;
    if (unease > 0.0) {           // (most of the cloth, most of the time, weaves true)
        shear = step(1.0 - 0.5 * unease, hash12(vec2(band_j * 1.37, seg)));
        // (4 to 17 stitches: the band's loops, floats and wrong picks fall out of step
        // with the bands round it; its pattern is misregistered below, by the motif.)
        p.x += shear * (4.0 + floor(hash12(vec2(seg, band_j)) * 14.0));
        e_hash = hash12(vec2(seg * 1.7, j + 0.5));
        wrong = step(1.0 - 0.15 * unease, e_hash);
        // A float: the shuttle skipped warps, and the pick lies loose over 3 to 9 of them.
        float flen = 3.0 + floor(hash12(vec2(j, 4.4)) * 7.0);
        float fpos = p.x / flen + hash12(vec2(j, 5.5));
        float_t = fract(fpos);
        float_err = step(1.0 - 0.16 * unease, hash12(vec2(floor(fpos) * 1.3, j + 0.7))) * step(0.3, unease);
        snapped = step(1.0 - 0.18 * unease, hash12(vec2(floor(p.x) * 0.5, j * 2.1))) * step(0.5, unease);
    }
    float i = floor(p.x);
    float fx = fract(p.x);

    // The community whose yarn the stitch carries: hatching joins, teeth of alternate
    // pairs of picks reaching across the border, longer as the city mixes.
    int own = int(map.r * 255.0 + 0.5);
    int other = int(map.g * 255.0 + 0.5);
    float dist = border_picks(map);
    // Which side of the border a stitch lies on comes from the linear distance field, not the
    // map's cells: the border is a free curve, stepped stitch by stitch as a weaver steps a
    // diagonal, never in blocks of cells. (Its gradient says how upright the border runs.)
    // (Only near a border: deeper in, the map's distance does, and the fetch is saved.)
    float upright_j = 1.0;
    // (Picks a canopy cell, across and down: the cloth is wider than the canopy's cells.)
    vec2 ppc = vec2(u_rows * cloth_aspect / u_canopy.x, u_rows / u_canopy.y);
    float contour_sd = 99.0;   // this pixel's own distance from the border, picks (99: none near)
    vec2 contour_n = vec2(0.0, 1.0);
    float map_dist = dist;
    int map_a = own, map_b = other;   // the pair of districts the map puts this stitch between
    // (Further out while the loom is uneasy: the strain's puckers reach past the hatching.)
    if (own != other && dist < (u_glitch > 0.15 ? 36.0 : 14.0)) {
        vec4 bdj = texture(u_border, clamp(pip_c, 0.0, 1.0));
        // (And the field at the pixel itself, for the outline's and the seams' smooth course:
        // carried on from the stitch's middle along its gradient, which saves a fetch a pixel.)
        float sd_c = bdj.r + dot(bdj.gb, (c - pip_c) * u_canopy);
        vec2 g_p = bdj.gb / ppc;   // cells a pick
        contour_sd = sd_c / max(length(g_p), 1e-5);
        contour_n = g_p / max(length(g_p), 1e-5);
        int near_side = bdj.r < 0.0 ? min(own, other) : max(own, other);
        other = near_side == own ? other : own;
        own = near_side;
        dist = abs(bdj.r) * u_rows / u_canopy.y;
        upright_j = abs(bdj.g) / max(length(bdj.gb), 1e-5);
    }
    float pair = mod(floor(j * 0.5), 2.0);
    float side = own < other ? 1.0 : 0.0;
    // (Teeth reaching along the picks, of nearly even length as a weaver dovetails them:
    // teeth of random length read to fresh eyes as noise along the border. Where the border
    // runs across the picks the colour changes at a pick, crisply.)
    float tooth = (pair == side ? 2.6 : 1.0) * (0.9 + 0.25 * hash12(vec2(j, float(own)))) + u_mix * 2.5;
    int comm = (abs(pair - side) < 0.5 && dist < tooth * 0.5 * upright_j) ? other : own;
    int s = comm % 6;
    float wealth = smoothstep(0.4, 1.0, u_wealth[comm]);

    // Yarns: each community's family (main, heather, darker warp), brightened by hope and
    // wealth, saturated by trust; rage creeps in as red picks.
    // Modelling: the weaver shades each area in three tones of its yarn (dark, main, light),
    // joined by hachures -- teeth of single picks reaching into the next tone -- never by
    // gradients. The tone follows the district's own hope and a slow, hand-drawn swell,
    // sampled per stitch so that tone changes fall between stitches. Dye lots differ from
    // bobbin to bobbin: bands of picks a shade apart (abrash), the mark of hand dyeing.
    // (Smooth waves, not value noise: hashing costs llvmpipe dearly at every pixel.)
    // (Broad: a few tonal areas a district, each joined to the next by its hachures. A swell
    // of many small waves broke each district into islands of tone, a digital camouflage
    // to fresh eyes.)
    float swell = 0.5 * sin(pip_c.x * 7.0 + float(comm) * 3.1 + sin(pip_c.y * 5.0)) * cos(pip_c.y * 4.0 - pip_c.x * 2.0);
    float tone = clamp(1.0 + 2.2 * (hope - u_hope) + 0.7 * swell, 0.0, 1.999);
    float hatch = 0.5 + 0.4 * (abs(mod(j, 8.0) - 4.0) / 2.0 - 1.0) + 0.08 * (hash12(vec2(j, 9.7)) - 0.5);
    // (The teeth reach only a little way either side of where the tone changes: spread over
    // the whole range, flat areas near a change dithered into blocks, noise to fresh eyes.)
    float tooth_t = 0.5 + 0.35 * (hatch - 0.5);
    float level = floor(tone) + step(tooth_t, fract(tone));
    float abrash = 1.0 + 0.07 * sin(j * 0.37 + float(comm) * 5.0 + sin(p.x * 0.011 + j * 0.13) * 2.0);
    vec3 base = u_colours[comm];
    vec3 shade_dark = saturate_colour(base * vec3(0.8, 0.82, 0.95), 1.15) * 0.74;
    // (The light tone a shade of the dye, not a pale one: in a blue, hachures of a near-white
    // read to fresh eyes as streaks of screen glare.)
    vec3 shade_light = saturate_colour(mix(base, vec3(1.0, 0.93, 0.78), 0.12), 1.1) * 1.15;
    // The community's motif, woven in a darker outline and a pale fill, stitch by stitch;
    // kept clear of the joins. A community that trusts keeps its pattern whole; as trust
    // erodes, whole motifs go unwoven and the rest fade (a glitch's shear misregisters it).
    // (Patterns are counted in stitches, as a weaver counts them: the draft's fewer, thicker
    // picks weave the same motifs larger rather than lose their steps.)
    vec2 pip_p = vec2(pip_c.x * cloth_aspect, pip_c.y) * u_rows;
    vec2 m_cell;
    // Dovetailed: where a motif's colour meets the ground's, the two wefts turn back round
    // a shared warp, one pass (two picks) this side of it, the next that side, so every
    // upright edge of a motif is serrated a warp either way, pass by pass, as woven; never
    // the flat square steps of enlarged pixels, as fresh eyes read them.
    float dove_h = hash12(vec2(floor(j * 0.5), float(comm) * 3.1 + 0.7));
    float dove = dove_h < 0.2 ? -2.0 : dove_h > 0.8 ? 2.0 : 0.0;   // picks: a warp either way
    // (A glitch's shear misregisters the pattern by whole stitches, 3 to 10 warps, in its
    // band of picks: moved by a warp or two, it was lost among the motifs' own steps, and
    // fresh eyes saw the glitching cloth as merely dimmer.)
    float motif = district_motif(pip_p + vec2(shear * (6.0 + 14.0 * hash12(vec2(seg, band_j + 0.5))) + dove, 0.0), comm, s, m_cell);
    float keep = 0.15 + 0.85 * smoothstep(0.12, 0.45, trust);
    // (Whole motifs go, never single rows of one: a pattern a weaver leaves out, not a
    // dropout; those left are woven in closer tones as trust wears thin.)
    motif *= step(hash12(m_cell * 0.71), keep + 0.25) * step(3.0, dist);
    vec3 accent_light = mix(base, mix(base, vec3(1.0, 0.94, 0.8), 0.34) * 1.1, keep);
    vec3 accent_dark = mix(base, shade_dark * 0.66, keep);
    base = (motif > 0.5 ? accent_light : motif < -0.5 ? accent_dark
            : level < 0.5 ? shade_dark : level < 1.5 ? base : shade_light) * abrash;
    // (Hope lightens the yarn in steps of a dye lot, the steps joined by the same hachures:
    // a smooth brightening read as airbrush to fresh eyes.)
    float hope_lot = floor(hope * 5.0 + 1.0 - tooth_t) / 5.0;
    vec3 yarn_a = saturate_colour(base, (0.82 + 0.3 * trust) * (0.7 + 0.3 * wealth)) * (0.85 + 0.6 * hope_lot) * (0.68 + 0.52 * wealth);
    // Hand-dyed: each bobbin's run of the pick a shade off the next (each loop of it varies
    // too, below: no two alike, so the cloth never reads as tiles).
    float pip_h = hash12(vec2(i * 0.73, j * 1.13));
    vec3 weft = yarn_a * (0.93 + 0.14 * hash12(vec2(j, seg + 0.3)));
    // (How far the cloth here is re-woven scar: the re-weave's structure reads it. The
    // neighbours' yarns show in the holes while they weave them shut, and no more: stripes
    // of them through every mended scar read to fresh eyes as noise, the cloth falling
    // apart rather than being mended.)
    float mended = mended_of(cl);
    // A mended scar is re-woven in the district's own structure, in a fresh dye lot: a
    // shade lighter and clearer than the cloth that lived through the glitches, so the
    // wound's shape stays in the cloth as a conservator's reweave does. (Re-woven in
    // another structure, doubled picks in half-drop, it read to fresh eyes as a coarse
    // crosshatch screen laid over the cloth.)
    weft = mix(weft, saturate_colour(weft, 1.12) * 1.1, step(0.5, mended));
    if (wrong > 0.5) {
        weft = u_colours[(comm + 1 + int(e_hash * 7.0)) % max(u_communities, 1)] * (0.75 + 0.5 * hope);
    }
    // Anger runs through the cloth as red threads pulled loose: floats of red wool laid over
    // 7 to 18 warps, each tapering where it dives back in (a thread, never a scan line).
    vec3 float_yarn = weft;
    float red_float = 0.0;
    float angry = smoothstep(0.35, 0.9, anger);
    if (angry > 0.0) {
        float alen = 7.0 + floor(hash12(vec2(j, 6.6)) * 12.0);
        float apos = p.x / alen + hash12(vec2(j, 7.3));
        float anger_h = hash12(vec2(floor(apos) * 0.37 + float(comm), j * 0.29 + 8.8));
        if (anger_h > 1.0 - 0.24 * angry && float_err < 0.5) {
            float_err = 1.0;
            float_t = fract(apos);
            float_yarn = vec3(0.5, 0.06, 0.045) * (0.85 + 0.3 * hash12(vec2(j, 1.1)));
            red_float = 1.0;
        }
    }
    // In a mixing city the warps carry every district's colour: the cloth becomes a plaid.
    int warp_comm = comm;
    if (u_mix > 0.0 && hash12(vec2(floor(i / 3.0), 8.1)) < u_mix * 0.06) {
        warp_comm = (comm + 1 + int(hash12(vec2(floor(i / 3.0), 2.2)) * 5.0)) % max(u_communities, 1);
    }
    vec3 warp_yarn = mix(mix(base * 0.35, LINEN * 0.6, 0.4), u_colours[warp_comm] * 0.9, u_mix);


    // Unravelling: where the cloth comes away, picks are missing to the bare warp; their ends
    // hang loose and sag. A fresh failure leaves scorched ends with an ember's glow.
    float unravel = cl.g;
    // (Each pick gives way at its own place: the hole's edge is ragged row by row.)
    float thr = unravel > 0.005 ? 0.1 + 0.7 * noise2(vec2(floor(p.x) * 0.22, j * 0.4)) + 0.12 * hash12(vec2(j, 3.3)) : 1.0;
    float gone = step(thr, unravel);
    // Slits: as the loom grows uneasy the joins between districts open -- wefts turning back
    // on either side without interlocking -- in runs along the borders, baring the warp.
    // (Wider where the run is longest: the districts pull apart, the wall showing between.)
    float slit_run = smoothstep(0.2, 0.6, noise2(vec2(j * 0.07, float(own * 16 + other) * 1.3)));
    // (dist near a border is the linear field's, so the rift's edge steps stitch by stitch
    // along the border's free curve, never in blocks of cells.)
    // (None below the unease that opens them: a width of zero would still open the
    // border's very line.)
    // (Widest where the nodes are failing: the loom's unease opens every join a little, the
    // faults "here and there" open them wide. Rifts along every border at full width read to
    // fresh eyes as a disaster already under way, leaving the outage nothing to add.)
    float local_fault = clamp((1.0 - min(health, 1.0)) * 8.0, 0.0, 1.0);
    // (Half the rift's width, picks: the outline is woven along both its edges.)
    float slit_w = u_glitch > 0.15 ? 6.0 * smoothstep(0.15, 0.75, u_glitch) * slit_run * (0.3 + 0.7 * local_fault) * powered * (1.0 - u_mend) : 0.0;
    float slit = slit_w > 0.0 ? step(dist, slit_w) : 0.0;
    // Strain: where the joins open, the districts pull apart and the cloth either side of a
    // rift puckers into ridges running across it, towards the gap, as cloth does when it is
    // pulled: its picks bow towards the rift, and the raking light picks out each ridge,
    // deepest at the rift and dying away over thirty picks. (A rift alone, a dark line
    // with the cloth lying calm beside it, read to fresh eyes as a drawn outline, the
    // glitching city merely dimmer than the rallying one: no strain between districts.)
    float strain = u_glitch > 0.15 && contour_sd < 98.0
                 ? smoothstep(0.15, 0.75, u_glitch) * (0.35 + 0.65 * max(slit_run, local_fault)) * (1.0 - u_mend)
                   * (1.0 - smoothstep(slit_w, slit_w + 28.0, dist)) : 0.0;
    vec2 pucker = vec2(0.0);   // the ridge's height (-1..1) and its lit slope
    vec2 pull = vec2(0.0);     // how far the threads are drawn towards the rift: warps, picks
    if (strain > 0.01) {
        vec2 along_t = vec2(-contour_n.y, contour_n.x);
        float along = dot(vec2(p.x * 2.0, p.y), along_t);   // picks along the border
        // (Each ridge its own spacing, 10 to 18 picks apart, as pulled cloth gathers.)
        float ph = along * 0.45 + 1.8 * sin(along * 0.07 + float(own + other)) + float(own * 7 + other);
        pucker = vec2(sin(ph), cos(ph) * dot(along_t, -normalize(LIGHT.xy)));
        // (Towards the rift: against the field's gradient on the side it rises, with it on
        // the other; most on the ridges, where the cloth is gathered.)
        vec2 towards = -contour_n * sign(contour_sd);
        pull = towards * strain * (2.0 + 1.2 * pucker.x) * vec2(0.5, 1.0);
    }
    gone = max(gone, slit);
    float edge = 1.0 - smoothstep(0.0, 0.08, abs(unravel - thr));
    float loose = edge * step(0.05, unravel);

    // Mended: the re-woven part of a scar is woven again in another structure; as the city
    // bonds, gold is woven into it (kintsugi in cloth), so the cloth keeps the wound's shape
    // in gold.
    float gold = cl.a;
    // Kintsugi: how far this pixel lies from a mended wound's old edge (where the scar, less
    // what is still unravelled, crosses 0.28), in picks whatever the field's slope; the gold
    // seam is couched along it below, so a bonded city keeps the outline of the holes it mended.
    float vein_sd = 99.0;   // picks from the old wound's edge, signed (99: no seam here)
    if (u_gild > 0.3) {
        // (Read where the pixel is, not a pick's shifted place, so the seam runs unbroken;
        // and smoothed over a few picks either way, so it runs in a hand-laid line, not
        // along every kink of the field's cells, which read to fresh eyes as doodles.)
        vec2 step3 = vec2(3.0 / (u_rows * cloth_aspect), 3.0 / u_rows);
        // (No mipmaps, but explicit LOD: implicit derivatives are undefined in this branch.)
        vec2 at = c + warp;
        vec4 xm = textureLod(u_cloth, at - vec2(step3.x, 0.0), 0.0), xp = textureLod(u_cloth, at + vec2(step3.x, 0.0), 0.0);
        vec4 ym = textureLod(u_cloth, at - vec2(0.0, step3.y), 0.0), yp = textureLod(u_cloth, at + vec2(0.0, step3.y), 0.0);
        vec4 c0 = textureLod(u_cloth, at, 0.0);
        vec4 fs = vec4(xm.b - xm.g, xp.b - xp.g, ym.b - ym.g, yp.b - yp.g);
        float f = (c0.b - c0.g + fs.x + fs.y + fs.z + fs.w) / 5.0;
        vec2 grad = vec2(fs.y - fs.x, fs.w - fs.z) / 6.0;   // per pick
        // (Only where the level is crossed within a few picks, on a steep edge: where a
        // node's scar sits near the level, or two nodes' scars differ a little, a seam
        // smeared into gold blots.)
        float lo = min(min(fs.x, fs.y), min(fs.z, fs.w)), hi = max(max(fs.x, fs.y), max(fs.z, fs.w));
        // (And only round a wound woven shut: the gold goes in when the hole is closed.)
        // (Between cloth that tore and cloth that never did: seams between nodes that were
        // each a little scarred wound round every cell, in tangles fresh eyes took for
        // scribbles.)
        bool edge = lo < 0.12 && hi > 0.5 && length(grad) > 0.035 && max(max(xm.g, xp.g), max(ym.g, yp.g)) < 0.03;
        vein_sd = edge ? (f - 0.28) / max(length(grad), 2e-3) : 99.0;
    }

    // Gold across the borders: as the city bonds, the teeth that join two districts are
    // woven in gold thread, more of them as the bond grows, so each join becomes a gold
    // zigzag stitched across the border.
    float brocade = comm != own ? step(hash12(vec2(floor(j * 0.5), float(own * 16 + other))), min(1.2 * u_gild - 0.1, 0.4)) : 0.0;

    // The rallying threads: threads couched from across the city in to the focal point like
    // the rays of a rising sun, reaching further as hopeful visitors gather, each plied of
    // gold and the yarn of the district it comes from (rally_d: across the nearest ray, in
    // picks; rally_t: how far along it, in canopy heights; ray_end: where it comes from).
    vec2 rv = (c - u_focus.xy) * vec2(cloth_aspect, 1.0);
    float rr = length(rv);
    float rally = 0.0, rally_d = 1.0, rally_t = 0.0, ray_len = 1.0;
    vec2 ray_end = vec2(0.0);
    if (u_rally > 0.02 && rr < 1.1) {
        float ra_ = atan(rv.y, rv.x + 1e-6);
        float ray_k = floor(ra_ / 6.2832 * 15.0 + 0.5);
        float ray_a = ray_k / 15.0 * 6.2832 + (hash12(vec2(ray_k, 2.0)) - 0.5) * 0.18;
        ray_len = u_rally * (0.3 + 0.75 * hash12(vec2(ray_k, 5.0)));
        ray_end = u_focus.xy + vec2(cos(ray_a), sin(ray_a)) * ray_len / vec2(cloth_aspect, 1.0);
        ray_a += sin(rr * 23.0 + ray_k) * 0.035;          // couched by hand: a ray wanders a little
        rally_d = abs(sin(ra_ - ray_a)) * rr * u_rows;
        rally_t = cos(ra_ - ray_a) * rr;
        rally = (1.0 - smoothstep(0.75, 0.75 + aa_r(fw), rally_d)) * step(rally_t, ray_len) * step(0.015, rr);
    }

    // One shared identity: as the city bonds and trusts again, a band (shared_band) frames
    // the whole city, and at its heart a medallion none of the districts wove before.
    // (A second band winding through the middle of the city read to fresh eyes as a banner
    // pasted across the districts, cutting them in two.)
    float shared = 0.0;
    vec3 braid = vec3(0.0);
    float in_braid = 0.0;
    if (u_mix > 0.05) {
        float grow = identity_grown(u_mix);
        float xs = (floor(p.x) + 0.5) * 2.0;           // the stitch's centre, picks from the left selvedge
        // And the same band frames the whole cloth, as a carpet's border frames its field:
        // every district inside one border. (Mitred at the corners; it follows the weft's
        // own waves along the top and bottom.)
        float ex = min(xs, u_rows * cloth_aspect - xs);
        float ey = min(j + 0.5 - HEAD_TOP, u_rows - j - 0.5 - HEAD_FOOT);   // (inside the kilim's ends)
        // (Its middle line FRAME_IN picks in from the edge, growing out from it both ways.)
        float half_frame = FRAME_IN * grow;
        float e = min(ex, ey);
        if (abs(e - FRAME_IN) < half_frame) {
            in_braid = 1.0;
            braid = shared_band(ex < ey ? j + 0.5 : xs, e - FRAME_IN, half_frame, FRAME_IN, hope, shared);
        }
        // At the cloth's heart, a medallion none of the districts wove before: an
        // eight-pointed star, its points in every district's yarn, its rings in ivory and
        // madder, outlined in gold, stepped a warp and a pick at a time (and dovetailed, as
        // the districts' motifs are).
        vec2 mq = vec2(xs + dove, j + 0.5) - medallion_centre(u_rows, cloth_aspect);   // (where the city's heart is woven)
        vec2 ma = abs(mq);
        // (Worked from its centre outwards: its rings keep their size as more of them show.)
        float star = min(max(ma.x, ma.y), (ma.x + ma.y) * 0.7071) / MEDALLION_R;
        if (star < grow) {
            in_braid = 1.0;
            shared = step(min(0.9, grow - 1.0 / MEDALLION_R), star);   // the gold outline, and the edge of the work (a pick wide)
            float ring = floor(star * 4.5);
            float point = step(max(ma.x, ma.y), (ma.x + ma.y) * 0.7071);   // (in a point, not the square)
            int n = max(u_communities, 1);
            int idx = int(mod(ring * 2.0 + point, float(n)));
            // (The districts' yarns in its points, its rings in ivory and madder: every ring
            // in another colour, it read to fresh eyes as a loud patch pasted on the city.)
            vec3 ring_yarn = mod(ring, 2.0) < 0.5 ? vec3(0.95, 0.88, 0.72) : vec3(0.62, 0.14, 0.08);
            braid = (ring < 0.5 || point < 0.5 ? ring_yarn : u_colours[idx]) * (0.85 + 0.35 * hope);
            shared = max(shared, step(0.9, fract(star * 4.5)) * step(0.5, ring));   // (gold between the rings)
        }
    }
    // The kilim's ends: the weaver starts and finishes the cloth with a few picks of
    // undyed wool before the picture, striped in walnut and madder, and a band of
    // pick-and-pick (the two yarns alternating pick by pick, so they stand in little
    // upright bars); the warps run on below into the fringe. (Every hand-woven piece has
    // them; a picture running to the very fringe read as printed.)
    float from_foot = u_rows - j - 0.5, from_head = j + 0.5;
    float kilim_end = step(from_foot, HEAD_FOOT) + step(from_head, HEAD_TOP);
    if (kilim_end > 0.5) {
        float r = from_foot < HEAD_FOOT ? from_foot : from_head;
        const vec3 UNDYED = vec3(0.84, 0.77, 0.62);
        const vec3 WALNUT = vec3(0.2, 0.12, 0.065);
        const vec3 MADDER = vec3(0.6, 0.15, 0.08);
        float row = floor(max(r, 0.0));
        vec3 end_yarn = row < 1.0 ? WALNUT
                      : (row > 1.5 && row < 4.5) ? (mod(i, 2.0) < 1.0 ? WALNUT : UNDYED)   // pick-and-pick
                      : abs(row - 6.0) < 0.5 ? MADDER : UNDYED;
        // (Its own dye lots: a shade apart from pick to pick, like the picture's.)
        braid = end_yarn * (0.92 + 0.16 * hash12(vec2(j, 31.7)));
        in_braid = 1.0;
        shared = 0.0;
        brocade = 0.0;
        // (They hold when the picture comes apart: knotted off at the fringe, the ends are
        // the strongest of the cloth, and they frame the ruin of the city between them.)
        gone = 0.0;
        loose = 0.0;
    }
    brocade = max(brocade, shared);
    // Gold shines by its highlight, not by glowing; the gold of the joins is an old gold,
    // worked into the weave rather than laid on it.
    vec3 metal = GOLD * (brocade > 0.5 && in_braid < 0.5 ? 0.72 : 0.95);
    vec3 ground_col = in_braid > 0.5 ? braid : weft;
    // (The border's and the medallion's gold is woven in with them, weft-faced, pick by
    // pick: laid on as floats, a pick's width each, the medallion's stepped outline read to
    // fresh eyes as loose matchsticks standing off the cloth.)
    if (in_braid > 0.5 && brocade > 0.5) {
        ground_col = metal * 1.05;
        brocade = 0.0;
    }
    float metallic = brocade > 0.5 ? 1.0 : 0.0;
    vec3 colour_weft = metallic > 0.5 ? metal : ground_col;   // what shows on top

    float aa = aa_r(fw);   // soft edges: the yarn's fuzz
    vec3 half_v = normalize(LIGHT + vec3(0.0, 0.0, 1.0));
    float gloss_exp = mix(10.0, 4.0, clamp(fw * 2.5, 0.0, 1.0));
    float hy, spw;
    // How far the drawn threads show (the rest: the yarns' mean colour). The ground's ribs
    // are two picks wide and stay drawn at footprints where single picks must fade.
    float thread_detail;
    vec3 cloth;
    {
        // The ground: weft-faced tapestry. The weft is beaten down so hard that it hides the
        // warp: on the face each warp is a straight vertical rib, wrapped by the picks, and
        // each pick shows as a loop about two picks tall where it passes over a warp (its
        // neighbours pass under there, and it spreads into their room). The loops stagger
        // from rib to rib as the community's structure steps: tabby, twill diagonals,
        // herringbone, basket pairs, satin's long glossy floats over two warps. Rich
        // districts pack plump loops with hardly a groove between the ribs; poor ones are
        // threadbare, the linen warp showing between thin loops.
        int st = kilim_end > 0.5 ? 0 : s;   // (the ends in plain weave)
        float satin = st == 2 ? 1.0 : 0.0;
        float span = st == 2 || st == 3 ? 2.0 : 1.0;          // warps one loop passes over
        // The ribs stay straight (satin's floats end at staggered places instead).
        // (Drawn towards a rift where the districts pull apart: the ribs and picks bow.)
        // Each district woven in its own weight of yarn: a fine one packs more picks to the
        // warp's height, a heavy one fewer and fatter, so the cloth's grain changes from
        // district to district and its picks do not line up across a join. (One even grain
        // of loops over the whole cloth read to fresh eyes as a bead mosaic, a texture laid
        // over a picture.) The kilim's ends and the shared identity are woven in one weight.
        float pitch = in_braid > 0.5 ? 1.0 : 0.82 + 0.36 * hash12(vec2(float(comm), 21.3));
        float pwx = warp_x + pull.x, ppy = (p.y + pull.y) * pitch;
        float rib_x = (pwx + satin * mod(floor(ppy) * 2.0, 5.0) * 0.4) / span;
        float k = floor(rib_x);
        float stagger = st == 1 ? mod(k, 4.0) * 0.25
                      : st == 2 ? mod(k * 2.0, 5.0) * 0.2
                      : st == 4 ? abs(mod(k, 8.0) - 4.0) * 0.25
                      : st == 5 ? 1.0 - mod(k, 3.0) / 3.0
                      : 0.5 * mod(k, 2.0);
        // (A glitch's shear jumps the loops by a pick: the stagger breaks in a band.)
        // (Each loop is one pick; basket's and the re-weave's doubled picks, two.)
        // Lazy lines: the weaver builds an area in sections, one beside the next, so the
        // picks of neighbouring sections meet along slanting lines a little out of step.
        float section = floor((pwx * 0.55 + ppy * 0.5) / 21.0 + 0.5 * sin(pwx * 0.06 + ppy * 0.02));
        float doubled = st == 3 ? 0.5 : 1.0;   // (basket: two picks a loop)
        float lv = ppy * doubled + stagger + 0.5 * shear + 0.45 * hash12(vec2(section, 3.3));
        // Each loop's own hand: mostly the yarn's slow change along its pick (one continuous
        // weft, not a tile), a little the loop's own.
        float run_h = hash12(vec2(floor(lv), 7.7));
        float lh = 0.65 * (0.5 + 0.5 * sin(warp_x * 0.29 + 6.3 * run_h)) + 0.35 * hash12(vec2(k * 1.31, floor(lv)));
        float u = 2.0 * fract(rib_x) - 1.0;                   // across the rib
        // The yarn wraps the warp at a slant (its twist), each loop a little different.
        float v = 2.0 * fract(lv) - 1.0 + (0.32 + 0.12 * lh) * u;
        float rib_w = mix(0.72, 0.9, wealth) * (0.95 + 0.05 * lh) * (1.0 + 0.1 * satin);
        float plump = mix(0.86, 1.02, wealth) * (0.9 + 0.1 * lh) * (1.0 - 0.3 * shear) * (1.0 - 0.5 * loose);
        // Under stress, before a node gives way, the weft is pulled taut: thinner loops.
        plump *= 1.0 - 0.3 * smoothstep(0.8, 1.0, stress) * powered;
        // Hand-spun: the yarn thickens and thins along its length (slub), and no two picks
        // were spun alike: some run fat, some lean.
        float jp = floor(ppy);   // (this district's pick)
        plump *= (0.93 + 0.07 * sin(warp_x * 1.7 + jp * 3.1)) * (0.8 + 0.34 * hash12(vec2(jp, 12.1)));
        float sag = loose > 0.0 ? loose * (1.0 - gone) * 1.2 * hash12(vec2(k, floor(lv))) : 0.0;
        v -= sag;
        // (Edges filtered by their footprint: u moves fw / span a pixel, v moves fw.)
        float dv = doubled;
        float au = max(fw * 0.9 / span, 0.06), av = max(fw * 1.2 * dv * pitch, 0.08);   // (a finer yarn's loops are smaller on screen)
        float cov_u = 1.0 - smoothstep(rib_w - au, rib_w + au, abs(u));
        float cov_v = 1.0 - smoothstep(plump - av, plump + av, abs(v));
        cov_v *= 1.0 - snapped;
        // Picks too small to see merge along the rib, which still reads as one.
        float pick_detail = 1.0 - smoothstep(0.3, 0.55, fw * pitch);
        cov_v = mix(plump * 0.95, cov_v, pick_detail);
        float su = min(abs(u) / rib_w, 1.0), sv = min(abs(v) / plump, 1.0);
        float hu = thread_height(su), hv = mix(0.8, thread_height(sv), pick_detail);
        hy = hu * hv;
        vec3 n = normalize(vec3(sign(u) * su * 0.85 * hv, sign(v) * sv * 0.45 * pick_detail * hu, hu * hv + 0.3));
        // Heathered: two plies of a shade apart twist along the yarn, in slanted stripes.
        float ply = sin(3.1416 * (u * 1.6 * span - v * 0.9 + lh * 4.0));
        vec3 yarn = mix(ground_col, yarn_b_of(ground_col), 0.5 * smoothstep(-0.2, 0.4, ply) * pick_detail)
                  * (0.9 + 0.2 * lh);
        float fuzz = QUALITY >= 1 ? 1.0 + 0.05 * (sin(p.x * 21.0 + p.y * 13.0) + sin(p.x * 17.0 - p.y * 29.0)) : 1.0;
        // Gloss runs along the yarn (Kajiya-Kay): its tangent turns with the wrap round the
        // warp, so each rib carries a line of highlights; satin's floats shine most.
        vec3 tangent = normalize(vec3(1.0, -0.35, -u * 1.3 / span));
        float th = dot(tangent, half_v);
        spw = pow(sqrt(max(1.0 - th * th, 0.0)), gloss_exp * 3.0) * hv;
        float sheen_w = (0.05 + 0.2 * trust * wealth + 0.3 * satin) * (0.6 + 0.8 * lh);
        float dw = max(dot(n, LIGHT), 0.0);
        vec3 lit = yarn * (0.5 + 0.62 * dw) * fuzz + mix(yarn, vec3(1.0), 0.4) * spw * sheen_w;
        // Between the loops on a rib, the warp shows where the weft is thin; between the
        // ribs, a groove where the weft dives behind the warp.
        vec3 warp_lit = warp_yarn * (0.35 + 0.65 * max(dot(normalize(vec3(u * 0.9, 0.0, hu + 0.2)), LIGHT), 0.0));
        // (Half the warp's pale at most: a pale line under every pick of a poor district
        // read to fresh eyes as a screen's scanlines over the cloth.)
        vec3 between = mix(ground_col * 0.56, warp_lit * 0.85, 0.5 * (1.0 - wealth));
        vec3 groove = ground_col * 0.55;
        between = mix(between, groove * 0.5, loose);   // (a coming-apart edge opens into shadow)
        cloth = mix(groove, mix(between, lit, cov_v), cov_u);
        thread_detail = 1.0 - smoothstep(0.45, 0.9, fw);
    }
    if (metallic > 0.5 || float_err > 0.5) {
        // Floats and the supplementary gold weft lie on the ground as long strands, a little
        // raised, tapering where they dive back in, with their shadow on the ground below.
        float taper = metallic > 0.5 ? 1.0 : smoothstep(0.0, 0.15, float_t) * smoothstep(1.0, 0.85, float_t);
        float half_w = (metallic > 0.5 ? 0.52 : 0.3 + 0.2 * red_float) * (0.9 + 0.2 * pip_h) * taper + 1e-3;
        // (A loose float sags between the warps that hold it: a loop of thread, not a line.)
        float droop = metallic > 0.5 ? 0.0 : (0.25 + 0.5 * red_float) * 4.0 * float_t * (1.0 - float_t);
        float sy = (fy - 0.45 - droop) / half_w;
        float strand_cov = 1.0 - smoothstep(1.0 - 0.5 * aa / half_w, 1.0 + 0.5 * aa / half_w, abs(sy));
        float shadow = (1.0 - smoothstep(0.0, 1.2, abs(fy - 0.45 - droop - half_w * 1.3 - 0.1) / max(half_w, 0.1))) * taper;
        float sh = thread_height(min(abs(sy), 1.0));
        vec3 n_s = normalize(vec3(0.0, sy * 0.95, sh + 0.15));
        float ply = 0.7 + 0.3 * sin(6.2832 * (fx * 2.2 + sy * 0.45 + j * 0.37));
        float sheen_w = (0.35 + 1.3 * metallic) * ply;
        float dw = max(dot(n_s, LIGHT), 0.0);
        float sp = pow(max(dot(n_s, half_v), 0.0), gloss_exp);
        vec3 strand_col = metallic > 0.5 ? colour_weft : float_yarn * 1.12;
        vec3 lit_s = strand_col * (0.55 + 0.6 * dw) + mix(strand_col, vec3(1.0), 0.45 - 0.3 * metallic) * sp * sheen_w;
        cloth = mix(cloth * (1.0 - 0.45 * shadow * (1.0 - strand_cov)), lit_s, strand_cov);
        hy = mix(hy, sh, strand_cov);
        spw = mix(spw, sp, strand_cov);
        thread_detail = mix(thread_detail, detail, strand_cov);
    }
    // Bare warp where the weft is gone: uneven threads (some snapped) over the wall's dark.
    // (Slack warps bow gently; a few have snapped, each at its own height.)
    float wi = floor(warp_x);
    // (Freed of the weft they sway apart and together: slack, never ruled lines.)
    // (Each bows its own way over the height of the hole, and kinks where the weft let go:
    // ruled straight and even, they read to fresh eyes as a barcode.)
    float slack = 0.16 + 0.2 * hash12(vec2(wi, 9.0));   // (so no warp leaves its own room)
    float bare_x = (fract(warp_x) - 0.5 + slack * sin(p.y * 0.05 + wi * 1.7) + 0.09 * sin(p.y * 0.19 + wi * 4.1))
                 / (0.09 + 0.08 * hash12(vec2(wi, 4.0)));
    float snap_at = floor((p.y + hash12(vec2(wi, 6.0)) * 80.0) / 80.0);
    float bare_cov = (1.0 - smoothstep(1.0 - aa * 1.5, 1.0 + aa * 1.5, abs(bare_x))) * step(0.16, hash12(vec2(wi, snap_at)));
    // Through the hole, the wall behind, lit through the gap and striped by the warps'
    // shadows (down-light of them), so even a cloth in ruins is made of threads.
    float shade_x = abs(fract(warp_x - 0.35) - 0.5) / 0.16;
    vec3 behind = WALL * (2.6 - 1.4 * (1.0 - smoothstep(0.6, 1.4, shade_x)));
    vec3 bare = mix(behind, LINEN * (0.6 + 0.75 * thread_height(min(abs(bare_x), 1.0))) * (0.4 + 0.6 * hash12(vec2(wi, 7.0))), bare_cov);
    // As the city bonds, neighbours weave new weft into the holes: whole picks of their own
    // yarn plied with the district's, reaching in from the hole's edge, every pick a little
    // further than the last as the work goes on, so the hole closes from its edges inwards.
    float refill = 0.0;        // how far this hole is woven shut again (its new picks' cover)
    vec3 refill_col = vec3(0.0);
    if (gone > 0.5 && (u_gild > 0.05 || cl.b > 0.05)) {
        // (as far as the repair has come: the scar's growth, or the city's bond)
        float laying = max(u_gild, smoothstep(0.02, 0.2, cl.b - cl.g) * powered);
        float reach = laying * (0.35 + 0.25 * hash12(vec2(j, 4.9)));   // (each pick its own length)
        float laid = step(unravel - thr, reach);
        // (In the yarn of the district next door, the one nearest this hole: each hole is
        // closed by one neighbour's hands, in one colour, from the border it shares. Picks of
        // many lenders' yarns in one hole read to fresh eyes as the glitches' wrong picks.)
        int lender = helper_of(own, other, j);
        // (Woven in as the cloth round it was, weft-faced over the same ribs, so the new
        // picks close the hole as cloth and show only in their yarn: laid over the bare
        // warps as single threads, in tabby, they read to fresh eyes as a coarse crosshatch
        // screen, a maze pattern, never as weaving.)
        // (Fresh yarn, a little brighter than the faded cloth round it, so the neighbour's
        // help shows in a dim city; much brighter, it read as garish, even as glitches, in a
        // bright one.)
        vec3 fresh = saturate_colour(mix(u_colours[lender], u_colours[own], 0.2), 1.15) * (0.65 + 0.65 * hope);
        // (The loops' light and shade, as the ground's: its lit colour over its yarn's.)
        float relief = clamp(luma(cloth) / max(luma(ground_col), 0.03), 0.0, 2.2);
        refill = laid;
        refill_col = fresh;
        bare = mix(bare, fresh * relief, laid);
        // Past the last warp it is woven round, the pick's yarn runs on loose, drooping
        // across the bare warps towards the weaver's hand: a pick still being passed.
        float beyond = (unravel - thr) - reach;
        if (beyond > 0.0 && beyond < 0.14 && laying > 0.05) {
            float droop = beyond / 0.14;
            float ty = (fy - 0.5 - 0.35 * droop) / 0.17;
            float tcov = (1.0 - smoothstep(1.0 - aa * 2.0, 1.0 + aa * 2.0, abs(ty))) * (1.0 - 0.5 * droop);
            bare = mix(bare, fresh * (0.45 + 0.75 * thread_height(min(abs(ty), 1.0))), tcov);
        }
    }
    // Across a rift the last picks that still interlock are pulled taut: a few threads of
    // either district's yarn span the gap, drawn thin towards its middle, where the two
    // districts pull hardest; fewer where the nodes are failing, whose have snapped. (The
    // rift alone, a dark gap, read to fresh eyes as a drawn outline: the strain of districts
    // pulling apart was not there to see.)
    if (slit > 0.5 && hash12(vec2(j, float(own * 16 + other) + 0.5)) < 0.3 * (1.0 - 0.6 * local_fault)) {
        float taut_w = 0.2 + 0.2 * clamp(dist / max(slit_w, 1e-3), 0.0, 1.0);
        float ty = (fy - 0.5) / taut_w;
        float tcov = 1.0 - smoothstep(taut_w - 0.5 * aa, taut_w + 0.5 * aa, abs(fy - 0.5));
        vec3 taut = weft * (0.7 + 0.9 * thread_height(min(abs(ty), 1.0))) + vec3(0.35) * pow(thread_height(min(abs(ty), 1.0)), 8.0);
        bare = mix(bare, taut, tcov);
    }
    cloth = mix(cloth, bare, gone);
    // Loose weft ends hang into the hole from a pick still in place just above (the cloth's
    // memory is smooth at this scale, so this pixel's unravelling stands for the rows above;
    // their own thresholds decide which of them still hold).
    // (Not where the hole is woven shut again: the new picks are woven where they hung.)
    if (gone > 0.5 && refill < 0.5 && QUALITY >= 1) {
        float j1 = j - 1.0 - step(0.5, hash12(vec2(floor(p.x * 2.0), j)));
        float thr1 = 0.12 + 0.75 * noise2(vec2(p.x * 0.22, j1 * 1.31));
        float strand_x = (hash12(vec2(floor(p.x * 2.0), j1)) - 0.5) * 0.6;
        float wave = 0.12 * sin((p.y - j1) * 3.0 + hash12(vec2(i, j1)) * 6.0);
        float sx = abs(fract(p.x * 2.0) - 0.5 - strand_x - wave) / 0.09;
        float hang = step(unravel, thr1) * step(hash12(vec2(floor(p.x * 2.0) + 0.5, j1)), 0.3);
        float cov = (1.0 - smoothstep(1.0 - aa * 3.0, 1.0 + aa * 3.0, sx)) * hang;
        cloth = mix(cloth, weft * (0.3 + 0.5 * thread_height(min(sx, 1.0))), cov);
    }
    vec3 burnt = vec3(0.08, 0.035, 0.015);
    float scorch = loose * (1.0 - gone) * smoothstep(0.05, 0.4, spark) * (1.0 - powered) * (1.0 - 0.8 * u_gild);
    cloth = mix(cloth, burnt * (0.5 + 0.5 * hy), scorch * 0.8);
    vec3 ember = vec3(1.6, 0.45, 0.08) * scorch * 1.8 * spark;
    ember *= 0.65 + 0.35 * sin(u_audio_time * 1.3 + j * 0.7 + p.x * 0.2);
    // (Fire is the outage's: before it, a hole a failed node leaves is scorched, its glow
    // faint. Two small holes ringed in orange side by side read to fresh eyes as a face's
    // eyes in the glitching cloth.)
    ember *= mix(0.2, 1.0, smoothstep(0.05, 0.3, u_outage));

    // The yarns' mean, for footprints too large to show single threads.
    // (Calibrated against the area average of the detailed cloth at 4x the size.)
    float mean_cov = mix(0.74, 0.98, wealth);   // a pick covers 2 half_w of its row
    vec3 mean_cloth = mix(colour_weft * 0.45, colour_weft * 0.78, mean_cov);
    mean_cloth = mix(mean_cloth, vec3(0.45, 0.06, 0.04), 0.12 * angry);   // (the red floats' share)
    mean_cloth = mix(mean_cloth, mix(mix(WALL, LINEN * 0.42, 0.3), refill_col * mix(0.45, 0.78, mean_cov), refill), gone);
    mean_cloth = mix(mean_cloth, burnt, scorch * 0.6);
    if (QUALITY >= 1) {
        // Slub: the hand-spun yarn thickens and thins along its length.
        float slub = 0.86 + 0.14 * (1.0 + sin(p.x * 3.1 + j * 2.3) * sin(p.x * 1.3 - j * 0.7));
        cloth *= slub;
    }
    // Where the power has failed the cloth falls dark at once, before it comes apart.
    // Where the power has failed the yarn fades: greyer and darker, woven pick by pick.
    vec3 colour = mix(mean_cloth, cloth, thread_detail);
    // The cartoon's outline: every border is drawn in one walnut-brown weft that follows
    // its curve (eccentric weft, beaten in along the shape rather than across the loom), so
    // each district is drawn as a tapestry's shapes are, in a smooth line, the hatching's
    // teeth reaching past it. It passes over and under the warps it crosses, or wraps the
    // picks where it runs up and down, so the line is a thread, not a drawn stroke.
    // (Outlined stitch by stitch, the borders stepped like a screen's pixels to fresh eyes.)
    // (Only where the map has a border: deep in a district, where its nearest other
    // district changes, the field's sign flips too, and its zero line is no border.)
    if (contour_sd < 98.0 && map_dist < 4.0) {
        // Hand-spun and beaten in by hand, the outline swells and thins along its course,
        // changes bobbin (a dye lot a shade apart) now and then, and here and there dives
        // behind the cloth for a few stitches, leaving the join to its hatching alone. (One
        // even width all round, it read to fresh eyes as a vector stroke over the weave.)
        float along_o = dot(vec2(warp_x * 2.0, p.y), vec2(-contour_n.y, contour_n.x));   // picks along the border
        float pair_k = float(map_a * 16 + map_b);
        float OW = 1.1 * (0.8 + 0.4 * sin(along_o * 0.19 + pair_k) * sin(along_o * 0.071 + 1.3 * pair_k)
                        + 0.12 * sin(along_o * 0.53 + pair_k));   // the thread's half width, picks
        float dives = slit_w > 0.0 ? 0.0 : smoothstep(0.68, 0.74, noise2(vec2(along_o * 0.05, pair_k * 1.7)));
        float o_lot = 0.82 + 0.3 * step(0.5, fract(along_o / 37.0 + pair_k * 0.31));
        // (Where the join has opened into a rift, the outline runs along both its edges:
        // two districts pulling apart, each still drawn whole.)
        float cs = abs(abs(contour_sd) - (slit_w > 0.0 ? slit_w + OW * 0.6 : 0.0)) / OW;
        float caa = max(fw * 1.2, 0.06) / OW;
        // (Not over the shared band, and once the yarns cross the borders freely, there is no
        // line left to draw; the outline stays at a rift's edges, the rest not over a hole.)
        float drawn = (1.0 - in_braid) * (1.0 - smoothstep(0.25, 0.7, u_mix));
        float ccov = (1.0 - smoothstep(1.0 - caa, 1.0 + caa, cs)) * drawn * (1.0 - dives) * (slit_w > 0.0 ? 1.0 : 1.0 - gone);
        float ch = thread_height(min(cs, 1.0));
        float cross_rib = thread_height(abs(2.0 * fract(warp_x) - 1.0));
        float cross_pick = thread_height(abs(2.0 * fy - 1.0));
        float wraps = mix(1.0, 0.55 + 0.45 * mix(cross_pick, cross_rib, abs(contour_n.y)), thread_detail);
        // Eccentric weft: beside the outline, two or three picks of each district's own yarn
        // follow its curve too before the weft runs straight across again, as a weaver
        // builds up a shape's edge; so the cloth bends round its shapes instead of lying
        // under them like a grid. (Their number wanders along the edge, as built by hand.)
        const float EW = 1.0;   // a pick's width, picks
        float e_d = cs * OW - OW;   // picks beyond the outline thread
        float e_band = EW * (2.2 + 0.8 * sin(warp_x * 0.23 + p.y * 0.07));
        // (Full quality only: the draft tier keeps to the old look's cost.)
        if (QUALITY >= 1 && e_d > -0.5 && e_d < e_band + 0.5) {
            float ek = floor(max(e_d, 0.0) / EW);
            float es = fract(max(e_d, 0.0) / EW) * 2.0 - 1.0;
            int side = contour_sd < 0.0 ? min(map_a, map_b) : max(map_a, map_b);
            float wk = smoothstep(0.4, 1.0, u_wealth[side]);
            vec3 ey = saturate_colour(u_colours[side], (0.82 + 0.3 * trust) * (0.7 + 0.3 * wk))
                    * (0.85 + 0.6 * hope_lot) * (0.68 + 0.52 * wk) * abrash
                    * (0.88 + 0.24 * hash12(vec2(ek + float(side) * 3.0, floor(warp_x * 0.25))));
            float eh = thread_height(abs(es));
            vec3 ecol = ey * (0.3 + 0.6 * eh) * wraps + mix(ey, vec3(1.0), 0.4) * pow(eh * wraps, 8.0) * 0.12;
            // (Where single picks are too small to see, the yarn's mean, as the ground's own
            // mean is reckoned: the picture keeps its brightness at any size.)
            vec3 emean = ey * mix(0.45, 0.78, mix(0.68, 0.98, wk));
            float ecov = (1.0 - smoothstep(e_band - caa * OW, e_band + caa * OW, e_d)) * drawn * (1.0 - gone);
            colour = mix(colour, mix(emean, ecol, thread_detail), ecov);
        }
        // As the city bonds, the line that parted two districts is re-worked in gold: the
        // borders become the seams that join them, a gold lattice over the whole city.
        float gilt = smoothstep(0.3, 0.9, u_gild);
        // (In a deep shade of the two districts' own dyes over walnut, not near-black: a black
        // line round every district read to fresh eyes as a vector stroke laid on the weave.)
        vec3 deep = mix(vec3(0.16, 0.1, 0.06), 0.42 * min(u_colours[map_a], u_colours[map_b]) + 0.18 * max(u_colours[map_a], u_colours[map_b]), 0.6);
        vec3 walnut = mix(deep * o_lot, GOLD * 0.62, gilt) * (0.9 + 0.2 * hash12(vec2(floor(warp_x), j)));
        vec3 ccol = walnut * (0.4 + 0.95 * ch) * wraps + vec3(0.9, 0.8, 0.65) * pow(ch * wraps, 6.0) * (0.06 + 0.5 * gilt);
        colour = mix(colour, ccol, ccov);
    }
    // The kintsugi seam: a gold thread couched along the old edge of every wound the city
    // mended, one unbroken line whatever way it runs, so the bonded city carries the outline
    // of each hole it closed. (Woven pick by pick, it broke into stray gold dashes.)
    if (abs(vein_sd) < 2.5) {
        const float VW = 1.0;   // its half width, picks: finer than the network's cords, still read across the room
        // Two fine gold threads laid side by side and couched (as the network's cords are),
        // each a strip of metal wound round silk, so its wraps glint one by one where it
        // crosses the warps and picks; raised, with its shadow down-light.
        float vs = abs(vein_sd) / VW;
        float vaa = max(fw * 1.2, 0.06) / VW;
        float laid = smoothstep(0.3, 0.6, u_gild) * (1.0 - gone) * (1.0 - in_braid);
        float vcov = (1.0 - smoothstep(1.0 - vaa, 1.0 + vaa, vs)) * laid;
        float pair_t = min(vs, 1.0) * 2.0 - 1.0;
        float vth = thread_height(abs(pair_t));
        float glint = mix(1.0, thread_height(abs(2.0 * fract(warp_x * 1.5 + p.y * 0.75) - 1.0)), thread_detail);
        vec3 vcol = GOLD * 0.78 * (0.3 + 0.85 * vth) * (0.6 + 0.4 * glint)
                  + vec3(1.0, 0.9, 0.7) * pow(vth * glint, 6.0) * 0.55;
        vcol *= 1.0 - 0.5 * (1.0 - smoothstep(0.0, 0.12 + vaa, vs));   // (where the two threads touch)
        colour *= 1.0 - 0.4 * (1.0 - smoothstep(1.0, 2.2, abs(vein_sd + 0.5) / VW)) * (1.0 - vcov) * laid;
        colour = mix(colour, vcol, vcov);
    }
    // (A city that has bonded shares its light: its dark districts are barely dimmed.)
    float unlit = (1.0 - powered) * (1.0 - 0.75 * u_gild) * (1.0 - 0.7 * gone);   // (bare warp still catches the light)
    colour = mix(vec3(luma(colour)), colour, 1.0 - 0.65 * unlit) * (1.0 - 0.42 * unlit);
    // The loom's errors starve the poorest districts first: they grey and dim as the unease
    // grows, while the richest stay vivid.
    float starved = u_glitch * (1.0 - wealth);
    colour = mix(colour, vec3(luma(colour)) * vec3(0.85, 0.9, 1.0), 0.3 * starved) * (1.0 - 0.08 * starved);
    // ... while the rich ones the cloud still serves keep their light: the gap is the story.
    colour *= 1.0 + u_glitch * wealth * vec3(0.55, 0.45, 0.3);
    // (The strain's puckers, lit: see above.)
    if (strain > 0.01) {
        colour *= 1.0 + strain * (0.8 * pucker.y + 0.25 * pucker.x - 0.15);
    }
    // In a dark city the districts that still have power huddle in warm lamplight.
    colour *= mix(vec3(1.0), vec3(1.5, 1.12, 0.72), powered * smoothstep(0.1, 0.4, u_outage));

    // Darning: while damage is mended, the neighbours weave patches of their own yarn over
    // it and sew them down with a running stitch (gold as the city bonds). (They come off as
    // the cloth is woven whole again: what stays of the wound is its re-woven cloth, in a
    // fresh dye lot, and its gold seam.)
    // (Whether a patch is sewn is decided at its centre, so each patch is whole: sewn over
    // the hole and round its edge, never an outline tracing the damage.)
    float darn_area = 0.0;
    float patched = 0.0;   // (how far a sewn patch covers this pixel)
    vec2 patch_cell = floor(patch_q);
    float patch_h = hash12(patch_cell + 0.5);
    // (one point for the whole patch, whatever the warp does to its outline)
    vec2 pc = (patch_cell + 0.5) / vec2(11.0, 7.0);
    if (cl.g + cl.b > 0.0005) {
        vec4 cl_p = texture(u_cloth, pc);
        float powered_p = power_of(texture(u_grid, pc).r);
        // (once the repair has begun there: some of what came apart is woven again)
        darn_area = smoothstep(0.05, 0.3, cl_p.g) * smoothstep(0.02, 0.12, cl_p.b - cl_p.g) * powered_p
                  * (1.0 - smoothstep(0.15, 0.5, cl_p.a)) * (1.0 - u_mix)
                  * (1.0 - smoothstep(0.25, 0.45, u_outage));   // (no mending in the dark)
    }
    if (darn_area > 0.01) {
        // A darn: the damage re-woven on top, a patch of weft-faced cloth laid over the hole
        // and sewn down, its loops on the same ribs as the cloth round it. (Laid up and down
        // as single threads, a tabby grid of them, it read to fresh eyes as a coarse
        // crosshatch, a maze pattern over the cloth, never as mending.)
        float cov = 1.0;
        // (Its ribs half as deep as the ground's: laid on the cloth, not woven into its grooves;
        // as deep, the ground's grooves striped it and it read as a film over the cloth.)
        float sh = mix(1.0, hy, 0.5);
        // Darned by the district next door: its yarn, the nearest neighbour's of the
        // patch's middle, so a patch shows who came to help. (Looked up only for the
        // patches sewn: most scarred cloth has none.)
        vec4 map_p = texture(u_map, pc);
        int darner = helper_of(int(map_p.r * 255.0 + 0.5), int(map_p.g * 255.0 + 0.5), patch_cell.y * 6.0 + patch_cell.x);
        // (The neighbour's yarn, fresh and unfaded by the glitches: blind viewers looked for
        // neighbours helping neighbours and did not find it in patches of the district's own
        // dye. Plied with a quarter of the district's own, its tones showed through in bands,
        // and the patch read as a transparent film; its own dye lots, a shade apart, instead.)
        vec3 yarn = saturate_colour(u_colours[darner] * (0.8 + 0.4 * hope) * (0.94 + 0.12 * hash12(vec2(floor(j / 3.0), 2.3))), 1.15)
                  * (1.1 + 0.2 * hope) * (0.45 + 0.7 * sh);
        vec2 pf = fract(patch_q);
        vec2 pe = min(pf, 1.0 - pf) / patch_dq;   // picks from its edges
        // (Hard-edged: a patch is woven pick by pick from its lower edge up, as far as the
        // mending has come, never faded in: half faded, it read as a transparent film.)
        float woven_to = smoothstep(0.3, 0.7, darn_area);
        float sewn_patch = step(0.35, patch_h) * (1.0 - smoothstep(-patch_dq.y, patch_dq.y, (1.0 - pf.y) - woven_to));
        // (Its relief: lit along the edges towards the light, shadowed along the others.)
        vec2 toward = step(pf, vec2(0.5));   // (the upper left edges face the light)
        float rim = 1.0 - smoothstep(0.0, 2.0, min(pe.x, pe.y));
        float lit_rim = rim * (pe.x < pe.y ? (toward.x > 0.5 ? 1.0 : -1.0) : (toward.y > 0.5 ? 1.0 : -1.0));
        yarn *= 1.0 + 0.3 * lit_rim;
        // Each of its picks is passed by hand and ends at its own place short of the patch's
        // sides, so the repair's outline is ragged, the old cloth showing between the ends.
        float reach = 0.5 + 2.5 * hash12(vec2(j, 4.7));
        cov *= mix(1.0, step(reach, pe.x * 0.5), detail);
        colour = mix(colour, mix(colour, yarn, cov), sewn_patch);   // (opaque at any footprint: cloth, not a film)
        patched = sewn_patch * cov;
        // Its edges are sewn down with a running stitch in pale thread.
        // (A stitch's width in from the edge, each a round thread: a hairline at the very
        // edge was lost in the patch's ragged ends.)
        float along = pe.x < pe.y ? p.y : p.x * 2.0;
        float across = abs(min(pe.x, pe.y) - 1.6) / 0.5;
        float run = step(fract(along / 5.0), 0.6) * (1.0 - smoothstep(0.8, 1.1, across));
        // (Pale thread on a dark patch, madder on a pale one: a pale stitch on ivory was lost.)
        vec3 thread = luma(u_colours[darner]) > 0.45 ? vec3(0.5, 0.17, 0.08) : vec3(0.9, 0.85, 0.72);
        vec3 run_col = mix(thread, GOLD, u_gild) * (0.7 + 0.4 * hope) * (0.5 + 0.6 * thread_height(min(across, 1.0)));
        colour = mix(colour, run_col, run * sewn_patch * detail);
    }

    // Embroidery: growth worked in raised French knots, denser where the canopy thrives,
    // each with its shade down-light.
    float v = cl.r;
    // (and, in a rally, the crowd: knots gathering thick around the focal point)
    // (The crowd streams in along the rays, thickest at the heart.)
    float crowd = u_rally * (1.0 - smoothstep(0.03, 0.38, rr)) * 0.85
                * (0.3 + 0.7 * exp(-rally_d * rally_d / 40.0));
    float density = max(smoothstep(0.32, 0.45, v) * 0.4, crowd) * powered;
    // (The crowd's knots are worked larger, in thicker floss.)
    float ks = crowd > 0.05 ? 0.5 : 1.0;
    vec2 kcell = floor(vec2(p.x, p.y * 0.5) * ks);
    float kx = fract(p.x * ks) - 0.5;
    float ky = (fract(p.y * 0.5 * ks) - 0.5);
    float kr = length(vec2(kx, ky)) / 0.42;
    float has_knot = density > 0.001 ? step(hash12(kcell * vec2(1.7, 0.9) + 3.0), density) : 0.0;
    if (has_knot > 0.5) {
        // Pale silk floss over the wool, warming to rose with empathy; the rally's crowd comes
        // from every district, each knot in its own district's colour.
        vec3 floss = mix(mix(yarn_a, vec3(1.0, 0.94, 0.82), 0.5), vec3(0.95, 0.55, 0.5), clamp(empathy * 1.2 - 0.4, 0.0, 0.6));
        if (crowd > 0.05 && hash12(kcell + 1.1) < 0.7) {
            floss = u_colours[int(hash12(kcell + 2.7) * float(u_communities)) % max(u_communities, 1)] * 1.3;
        }
        floss = mix(floss, GOLD, u_gild * 0.4) * (0.5 + 0.5 * hope);
        vec3 kn = normalize(vec3(kx / 0.42, ky / 0.42, thread_height(min(kr, 1.0)) + 0.05));
        float turns = 0.8 + 0.2 * sin(atan(ky, kx + 1e-6) * 5.0 + kr * 8.0);
        vec3 knot = floss * (0.25 + 0.95 * max(dot(kn, LIGHT), 0.0)) * turns;
        float cov = 1.0 - smoothstep(0.85, 1.0, kr);
        float shade = (1.0 - smoothstep(0.6, 1.3, length(vec2(kx - 0.12, ky - 0.1)) / 0.42)) * 0.2;
        colour *= 1.0 - shade * (1.0 - cov) * detail;
        colour = mix(colour, knot, cov * mix(0.55, 1.0, detail));
    }

    // Mobilisation: the city sews its districts back together. Each border is whipped shut,
    // as a weaver sews up the slits between colour areas, stitch by stitch as the torn cloth
    // is woven again, each stitch in the yarn of the district it comes from; each is a round
    // thread that casts its shadow.
    // (The border and its normal come from the distance field, in picks; the stitches are
    // counted along whichever axis of the cloth lies closer to the border.)
    // Each seam is sewn from its own starting place onwards, as far as the mending has come
    // (u_mend), and where the work has got to, the needle lies on the cloth, threaded.
    // (Once the yarns mix, the joins are woven in gold brocade and the sewing is done.)
    float fade = 1.0 - smoothstep(0.2, 0.7, u_mix);
    float sewing = u_mend * fade;
    if (sewing > 0.01) {
        // (The border's distance and normal at this pixel, as the outline reads them.)
        float sd = contour_sd;   // picks from the border
        // (Only at a border: where the nearest other district changes, deep inside one, the
        // sign of the distance flips and its zero line is no border; the map says so.)
        // (Wide enough for the needle, which lies across the border.)
        if (abs(sd) < 9.0 && dist < 10.0) {
            vec2 n = contour_n;
            vec2 P = vec2(c.x * u_rows * cloth_aspect, c.y * u_rows);
            // (The border's course, smoothed over a few stitches, decides which way the
            // stitches are counted, so they do not flip from pixel to pixel; where the border runs at
            // about 45 degrees between the two the stitches fade rather than break up.)
            bool upright = abs(n.x) > abs(n.y);   // (a border more up-and-down than across)
            float settled = smoothstep(0.05, 0.2, abs(abs(n.x) - abs(n.y)));
            vec2 axis = upright ? vec2(0.0, 1.0) : vec2(1.0, 0.0);
            float a = dot(P, axis);
            // (Whipped: every stitch slants the same way across the border and goes back under
            // the cloth, so the seam reads as sewing, ////, not as a zigzag's jagged teeth.)
            // Each stitch reaches well into both districts, so each neighbour's yarn is seen
            // crossing into the other's cloth (blind viewers looked for it).
            float ph, reach_w;
            float seam_d = whip_stitch(a, sd, n, axis, ph, reach_w);
            // The shadow: the same stitches, seen from a little down-light (each its own length
            // and bow, and diving in at its ends as the stitch does).
            vec2 o = vec2(0.45, 0.6);
            float ph_s, reach_s;
            float shadow_d = whip_stitch(a - dot(o, axis), sd - dot(n, o), n, axis, ph_s, reach_s);
            // Sewn a stitch at a time along the seam, from the place the pair of neighbours
            // began (its own for each pair of districts), as far as the mending has come.
            float run_len = upright ? u_rows : u_rows * cloth_aspect;   // picks along the axis
            float begun = hash12(vec2(float(min(own, other)), float(max(own, other)) + 0.7));
            // (The holes are woven first and the seams sewn after: they lag the mending.)
            float sewn_to = u_mend * u_mend;
            float stitch_a = (floor(a / SEAM_L) + 0.5) * SEAM_L;
            float sewn = step(fract(stitch_a / run_len + begun), sewn_to) * fade
                       * (1.0 - smoothstep(reach_w, reach_w + 0.4, abs(sd))) * step(dist, SEAM_W * 1.25 + 3.0) * settled;
            const float TW = 0.46;   // the sewing thread's half width, picks
            float saa = max(fw * 1.2, 0.06);
            // (Each stitch dives into the cloth at both ends, over at least a pixel and a half.)
            float dive = max(0.07, 1.5 * fw / SEAM_L);
            float cov = (1.0 - smoothstep(TW - saa, TW + saa, seam_d)) * sewn
                      * smoothstep(0.0, dive, ph) * (1.0 - smoothstep(1.0 - dive, 1.0, ph));
            float shade = (1.0 - smoothstep(TW, TW + 0.7, shadow_d)) * sewn * (1.0 - cov)
                        * smoothstep(0.0, dive, ph_s) * (1.0 - smoothstep(1.0 - dive, 1.0, ph_s));
            colour *= 1.0 - 0.5 * shade;
            float h = thread_height(clamp(seam_d / TW, 0.0, 1.0));
            float twist = 0.78 + 0.22 * sin((a + sd) * 4.2);
            // Each neighbour sews into the other: the stitches are worked in turn in the yarns
            // of the two districts (the lower id's first), each reaching into the other's
            // cloth, plied with a strand of gold as the city bonds.
            int from = mod(floor(a / SEAM_L), 2.0) < 0.5 ? min(own, other) : max(own, other);
            vec3 sewing_yarn = mix(saturate_colour(u_colours[from], 1.2) * 1.2, GOLD * 1.2, 0.3 * u_gild);
            vec3 thread = sewing_yarn * (0.3 + 0.85 * h) * twist + vec3(1.0, 0.92, 0.8) * pow(h, 8.0) * 0.25;
            colour = mix(colour, thread * (0.75 + 0.35 * hope), cov);
            // The needle: a steel tapestry needle, eye first at the last stitch sewn, its
            // point slanting across the border to where the next stitch goes in.
            const float NL = 26.0;                     // its length, picks
            float ahead = fract(a / run_len + begun - sewn_to) * run_len;   // picks past the last stitch
            if (sewn_to < 0.995 && ahead < NL + 3.0) {
                // (The eye sits where the line of the last stitch crosses the border, and the
                // needle follows the border's course there: every pixel finds that same place
                // by walking along the line, so the steel stays straight wherever the border
                // slants or bends. Two steps of the walk land within a fraction of a pick.)
                vec2 line = vec2(axis.y, axis.x);
                vec2 to_uv = 1.0 / vec2(u_rows * cloth_aspect, u_rows);
                vec2 crossing = P - axis * ahead;
                vec2 nf = n;
                for (int k = 0; k < 2; k++) {
                    vec4 bf = textureLod(u_border, crossing * to_uv, 0.0);
                    vec2 gf = bf.gb / ppc;
                    float glf = max(length(gf), 1e-5);
                    nf = gf / glf;
                    float slant = dot(nf, line);
                    crossing -= line * (bf.r / glf) / (sign(slant) * max(abs(slant), 0.3));
                }
                // (Only where the border there runs the way the stitches count along.)
                float same_way = (abs(nf.x) > abs(nf.y)) == upright ? 1.0 : 0.0;
                vec2 tf = vec2(-nf.y, nf.x) * (dot(vec2(-nf.y, nf.x), axis) < 0.0 ? -1.0 : 1.0);
                vec2 eye_at = crossing - nf * 2.0;
                vec2 dir = normalize(tf * NL + nf * 4.0);
                vec2 across = vec2(-dir.y, dir.x);
                vec2 rel = P - eye_at;
                vec2 rel_s = rel - o;                  // (its shadow, down-light)
                float t = clamp(dot(rel, dir) / NL, 0.0, 1.0);
                float t_s = clamp(dot(rel_s, dir) / NL, 0.0, 1.0);
                float perp = dot(rel - dir * t * NL, across);
                float perp_s = length(rel_s - dir * t_s * NL);
                float r = needle_radius(t);
                float r_s = needle_radius(t_s);
                float eye = step(0.03, t) * step(t, 0.1) * step(abs(perp), 0.2);
                float ncov = (1.0 - smoothstep(r - saa, r + saa, abs(perp))) * (1.0 - eye) * fade * same_way;
                float nshade = (1.0 - smoothstep(r_s, r_s + 0.8, perp_s)) * (1.0 - ncov) * fade * same_way;
                colour *= 1.0 - 0.55 * nshade;
                // (A steel cylinder: dark but for the light along its upper edge.)
                float side = perp / r * sign(dot(across, -LIGHT.xy) + 1e-4);
                float nh = thread_height(clamp(side, -1.0, 1.0));
                float glint = pow(thread_height(clamp(side - 0.4, -1.0, 1.0)), 30.0);
                vec3 steel = vec3(0.42, 0.44, 0.48) * (0.3 + 0.7 * nh) + vec3(1.4, 1.35, 1.25) * glint;
                colour = mix(colour, steel, ncov);
            }
        }
    }

    colour += ember * mix(0.5, 1.0, detail);
    // Where the outage began (the crisis' focal knot) the failure still smoulders: the bare
    // warps and the torn edges round it catch its red light, fading with distance, so the
    // eye finds where the cascade started and which way it ran.
    // (The wall behind the torn cloth there glows too, so the origin reads across the room.)
    // (Only on what is still torn: the warps a neighbour's new picks cover, or a sewn patch,
    // are mended there. Lit under the new picks, the bare warps showed through them as
    // bright orange bars, which fresh eyes read as a screen's glitch in the mobilisation.)
    float origin = u_focus.w > 0.5 ? u_focus.z * exp(-rr * rr / 0.07) * smoothstep(0.1, 0.4, u_outage) : 0.0;
    // (And cooling as the districts sew the city together: the scar stays, the fire goes.)
    origin *= (1.0 - patched) * (1.0 - 0.6 * u_mend);
    colour += vec3(4.4, 1.2, 0.2) * origin * (1.3 * gone * bare_cov * (1.0 - refill) + 0.12 * gone + 1.8 * loose + 0.35 * (1.0 - gone) * hy)
            * (0.8 + 0.2 * sin(u_audio_time * 0.9 + rr * 30.0));

    // Light running along the rallying thread, outward from the focal point, and the glow
    // it casts on the picks beside it.
    if (rally > 0.0) {
        // A round gold thread, lit across its width, with the couching stitches that hold it
        // and light pulsing outward along it from the focal point.
        float across = clamp(rally_d / 0.75, 0.0, 1.0);
        float h = thread_height(across);
        float couched = step(0.9, fract(rally_t * u_rows * 0.14));
        float run = smoothstep(0.8, 1.0, fract(rally_t * 4.0 - u_audio_time * 0.35));
        float twist = 0.75 + 0.25 * sin((rally_t * u_rows * 1.6 + across * 1.8) * 3.1416);
        // (Two plies twisted together: gold, and the yarn of the district the thread comes
        // from, which takes the light as wool does.)
        float ply = step(0.5, fract(rally_t * u_rows * 0.55 + across * 0.7));
        int ray_comm = int(textureLod(u_map, clamp(ray_end, 0.0, 1.0), 0.0).r * 255.0 + 0.5);
        vec3 own_ply = saturate_colour(u_colours[ray_comm], 1.2) * 1.25 * (0.35 + 0.85 * h) * twist;
        vec3 thread = GOLD * 1.45 * (0.35 + 0.85 * h) * twist + vec3(1.0, 0.9, 0.7) * pow(h, 10.0) * 0.45 * twist;
        thread = mix(thread, own_ply, ply * smoothstep(0.02, 0.12, rally_t));
        thread = mix(thread, vec3(0.3, 0.06, 0.04) * (0.5 + 0.5 * h), couched * 0.7);
        thread += GOLD * run * h * 1.2 * (1.0 - rally_t / max(ray_len, 1e-3));
        colour = mix(colour * (1.0 - 0.35 * rally), thread, rally);
    }
    // Where the cloth is being mended, the helpers sew on small mirrors (shisha): each a disc
    // held by a ring of buttonhole stitches in a neighbour's yarn, catching the room's light
    // (they reflect it; they do not glow). At most one in each patch of 9 warps by 16 picks.
    // (Whether a mirror is sewn is decided at its centre, so each is whole or absent.)
    // (Only round the holes being mended.)
    vec2 lcell = floor(vec2(p.x / 9.0, p.y / 16.0));
    vec2 lpos = (lcell + 0.3 + 0.4 * vec2(hash12(lcell + 4.1), hash12(lcell + 8.3))) * vec2(9.0, 16.0);
    vec2 lv = (p - lpos) * vec2(2.0, 1.0);              // round on the cloth (warps are 2 picks apart)
    float lr = length(lv);
    float mending = 0.0;
    const float MIRROR_MAX = 1.6;                       // the largest mirror's radius
    if (lr < MIRROR_MAX * 1.2 + 1.4 + aa) {   // (only pixels the widest ring could cover look it up)
        vec2 lc = vec2(lpos.x / warps_x, lpos.y / u_rows);
        vec4 cl_c = texture(u_cloth, lc + warp);
        float powered_c = power_of(texture(u_grid, lc + warp).r);
        // (Gathered where the work is: round the edges of the holes being mended, and
        // nowhere else. Lining the borders too, they read to fresh eyes as scattered noise,
        // not as placed by hands at work.)
        float hole_edge = smoothstep(0.03, 0.15, cl_c.g) * (1.0 - smoothstep(0.35, 0.7, cl_c.g));
        mending = hole_edge * powered_c;
    }
    if (mending > 0.01) {
        // (A few, at the work's edge: one in three of the places a mirror could go. Sewn at
        // every place, they read to fresh eyes as sequins scattered over the whole cloth,
        // one more kind of mark among the patches and the seams.)
        float sewn = step(hash12(lcell * 1.37 + 0.5), 0.3 * mending);
        // (Each a different size: small mirrors, held by a wide ring of stitches.)
        float rad = 0.8 + (MIRROR_MAX - 0.8) * hash12(lcell + 9.1);
        float disc = 1.0 - smoothstep(rad - aa, rad + aa, lr);
        float bezel = (1.0 - smoothstep(rad + 0.35 - aa, rad + 0.35 + aa, lr)) * (1.0 - disc);
        float ring = (1.0 - smoothstep(rad * 1.2 + 1.4 - aa, rad * 1.2 + 1.4 + aa, lr)) * (1.0 - disc) * (1.0 - bezel);
        // Buttonhole stitches radiate from the bezel, each a thread with its own shading.
        float sa = atan(lv.y, lv.x + 1e-6) * 24.0 / 6.2832;
        float stitches = thread_height(min(abs(fract(sa) - 0.5) * 2.4, 1.0)) * (0.7 + 0.3 * hash12(vec2(floor(sa), lcell.x)));
        int lender = (own + 1 + int(hash12(lcell + 0.7) * 5.0)) % max(u_communities, 1);
        vec3 ring_col = u_colours[lender] * (0.4 + 0.6 * stitches) * (0.7 + 0.5 * hope);
        // The mirror shows the warm room: bright at the top left where the light is.
        float glow = 0.55 + 0.45 * clamp(dot(normalize(lv + vec2(1e-4)), -normalize(LIGHT.xy)), -1.0, 1.0);
        // (Glass and foil: dark but for the window of light it catches at its top left.)
        vec3 mirror = vec3(1.3, 1.05, 0.75) * (0.12 + 1.1 * pow(glow, 6.0)) * (0.7 + 0.4 * min(spark * 3.0, 1.0));
        vec3 sewn_on = mix(mix(mix(colour, ring_col, ring), vec3(0.05, 0.035, 0.02), bezel), mirror, disc);
        colour = mix(colour, sewn_on, step(0.3, sewn));
    }

    f_colour = vec4(colour, 1.0);
}
