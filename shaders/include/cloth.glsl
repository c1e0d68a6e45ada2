// The hanging cloth shared by the passes that need it: where the cloth hangs in the picture,
// the slow billow (a low-frequency height field the raking light reads through its normal)
// and the light's direction. Canopy and picture coordinates here run x right, y down.

uniform vec4 u_cloth_rect;     // the woven cloth in the picture: x, y (top left), width, height

const vec3 LIGHT = vec3(-0.55, -0.5, 0.67);   // raking light from the upper left (normalised)

// Picture position (0..1, y down) of a canopy position, and back.
vec2 canopy_to_picture(vec2 c) {
    return u_cloth_rect.xy + c * u_cloth_rect.zw;
}

vec2 picture_to_canopy(vec2 q) {
    return (q - u_cloth_rect.xy) / u_cloth_rect.zw;
}

// The united city's shared identity, woven as it bonds (u_mix): a border framing the whole
// field, its middle line FRAME_IN picks inside the kilim's ends and selvedges, and at the
// city's heart a medallion of MEDALLION_R picks, centred at medallion_centre(). The cloth
// weaves them; the cords pass under them (couched over the field only).
const float HEAD_FOOT = 8.0;      // picks of the kilim's end woven below the picture
const float HEAD_TOP = 5.0;       // ... and above it, under the heading's tabs
const float FRAME_IN = 8.0;       // the border's middle line, picks in from the field's edge
const float MEDALLION_R = 32.0;   // the medallion's size, picks (centre to its points' tips)

// Where the medallion's centre is woven, in picks from the cloth's left and top edges.
vec2 medallion_centre(float rows, float cloth_aspect) {
    return vec2(0.5 * rows * cloth_aspect, (0.5 + 0.06 * sin(2.9) + 0.02 * sin(5.5)) * rows);
}

// How far the medallion has grown (0..1 of its size) and the border's half width, picks.
float identity_grown(float mix_) {
    return smoothstep(0.05, 0.6, mix_);
}

// Whether picks position pp (x, y from the cloth's top left, in picks) lies in the woven
// border or medallion (1) or the city's field (0), with the identity grown by `grow`.
float in_identity(vec2 pp, float rows, float cloth_aspect, float grow) {
    float ex = min(pp.x, rows * cloth_aspect - pp.x);
    float ey = min(pp.y - HEAD_TOP, rows - pp.y - HEAD_FOOT);
    float e = min(ex, ey);
    float frame = step(abs(e - FRAME_IN), FRAME_IN * grow) + step(e, 0.0);
    vec2 ma = abs(pp - medallion_centre(rows, cloth_aspect));
    float star = min(max(ma.x, ma.y), (ma.x + ma.y) * 0.7071) / MEDALLION_R;
    return min(frame + step(star, grow), 1.0);
}

// Height of the billowing cloth (about +-1) and its gradient, at picture position q, time t:
// two slow travelling folds at an angle to each other.
vec3 billow(vec2 uv, float t) {
    float a = uv.x * 3.1 + uv.y * 1.1 + t * 0.19;
    float b = uv.y * 4.3 - uv.x * 1.3 - t * 0.15;
    float ca = cos(a), cb = cos(b);
    float h = 0.6 * sin(a) + 0.4 * sin(b);
    vec2 grad = vec2(0.6 * 3.1 * ca - 0.4 * 1.3 * cb, 0.6 * 1.1 * ca + 0.4 * 4.3 * cb);
    return vec3(h, grad);
}

// How the cloth hangs from its pole (height about +-1, and its gradient), at picture position
// uv: shallow vertical folds, a little uneven, deepest under the pole and easing lower down
// where the cloth's own weight pulls it flat; they sway very slowly with the air (t).
vec3 drape(vec2 uv, float t) {
    float x = uv.x * 28.0 + 0.9 * sin(uv.x * 5.0 + 1.3) + 0.25 * sin(t * 0.07);
    float dx = 28.0 + 4.5 * cos(uv.x * 5.0 + 1.3);
    float depth = 1.0 - 0.6 * smoothstep(0.05, 0.85, uv.y);
    float ddepth = -0.6 * (smoothstep(0.05, 0.85, uv.y + 0.01) - smoothstep(0.05, 0.85, uv.y)) / 0.01;
    float w = sin(x) + 0.35 * sin(2.0 * x + 1.1);
    float dw = cos(x) + 0.7 * cos(2.0 * x + 1.1);
    return vec3(depth * w, depth * dw * dx, ddepth * w) / 1.35;
}

// The least load of a cord that is couched onto the cloth (lighter lanes stay hidden, knots
// and all): the trunks only. The same set in every act, so no cord ever pops in or out and
// no line changes its course (COUCHED_LOAD in simulation/fields.py says the same; a test
// holds the two together): as the city bonds, these same lines turn to gold, a connected
// lattice over the whole city.
const float COUCHED_LOAD = 0.55;

// How far a cord's node is failing (its capacity dipped: the cord wears, tarnishes, unwinds)
// and how far it has been mended (reinforced past its design: the cord is whipped where it
// was spliced), from its health; the knots and the cords read the same.
float cord_weak(float health) {
    return smoothstep(0.97, 0.85, health);
}

float cord_mended(float health) {
    return smoothstep(1.02, 1.15, health);
}
