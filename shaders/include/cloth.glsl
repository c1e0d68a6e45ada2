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

// The least load of a cord that is couched onto the cloth (lighter lanes stay hidden, knots
// and all): the trunks only, until a city that trusts its cloud (cord_gild) extends the work.
float couched_load(float cord_gild) {
    return mix(0.55, 0.3, cord_gild);
}
