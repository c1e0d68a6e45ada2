#version 330
// The tapestry itself: warp and weft in community colours, shaped by sentiment, frayed by
// outages, bound by a golden thread where the city is united, embroidered with growth.
#include "indices.glsl"
#include "common.glsl"

uniform sampler2D u_sentiment;   // hope, anger, empathy, trust per texel (linear)
uniform sampler2D u_grid;        // powered, health, stress, community id per canopy cell
uniform sampler2D u_growth;      // Gray-Scott u, v
uniform vec3 u_colours[16];      // community identity colours
uniform vec2 u_canopy;           // canopy size in cells
uniform float u_threads;         // warp threads across the width
uniform sampler2D u_previous;    // last frame (weave + cloud), for the feedback trails
uniform float u_persistence;     // how much of the last frame echoes, [0, 1)

in vec2 v_uv;
out vec4 f_colour;

int community_at(vec2 uv) {
    return int(texture(u_grid, uv).a * 255.0 + 0.5);
}

void main() {
    vec2 uv = vec2(v_uv.x, 1.0 - v_uv.y);  // canopy y runs down
    vec4 grid = texture(u_grid, uv);
    float stress = grid.b;
    float health = grid.g;

    // Glitch: rows of a sick or overloaded district slip sideways for a moment.
    float row = floor(uv.y * u_threads * 0.5);
    float slip = step(0.985 - 0.25 * (1.0 - health) - 0.1 * stress * stress,
                      hash12(vec2(row, floor(u_time * 12.0))));
    uv.x += slip * (hash12(vec2(row, u_time)) - 0.5) * 0.04;

    vec4 s = texture(u_sentiment, uv);
    float hope = s.r, anger = s.g, empathy = s.b, trust = s.a;
    grid = texture(u_grid, uv);
    float powered = grid.r;
    int id = community_at(uv);
    vec3 base = u_colours[id];

    // Thread geometry: plain weave, resolution independent (threads fixed in canopy units).
    float aspect = u_resolution.x / u_resolution.y;
    vec2 t = vec2(uv.x * u_threads, uv.y * u_threads / aspect);
    // Anger tightens and jitters the threads; hope loosens them.
    float wobble = (noise2(t * 0.35 + u_audio_time * 0.3) - 0.5) * (0.15 + 0.6 * anger);
    t += vec2(wobble, -wobble) * 0.35;
    vec2 cell = floor(t);
    vec2 f = fract(t);
    float width = mix(0.82, 0.55, anger);
    float warp_profile = 1.0 - smoothstep(width * 0.5 - 0.08, width * 0.5, abs(f.x - 0.5));
    float weft_profile = 1.0 - smoothstep(width * 0.5 - 0.08, width * 0.5, abs(f.y - 0.5));
    bool warp_on_top = mod(cell.x + cell.y, 2.0) < 1.0;
    float warp_shade = sqrt(max(1.0 - pow(2.0 * f.x - 1.0, 2.0), 0.0));
    float weft_shade = sqrt(max(1.0 - pow(2.0 * f.y - 1.0, 2.0), 0.0));

    // Colour: identity, brightened by hope, saturated by trust, warmed by empathy.
    vec3 warp_col = saturate_colour(base, 0.45 + 0.8 * trust) * (0.35 + 0.9 * hope);
    warp_col = mix(warp_col, warp_col * vec3(1.15, 0.95, 0.85), empathy);
    vec3 weft_col = mix(base * 0.45, vec3(0.85, 0.8, 0.7), 0.25 + 0.3 * hope) * (0.5 + 0.6 * hope);
    weft_col = mix(weft_col, vec3(0.9, 0.25, 0.15), 0.5 * anger * anger);

    // Outages fray the weave: threads break, the cloth darkens.
    float dark = 1.0 - powered;
    float fray = dark * step(0.45, hash12(cell + floor(u_time * 0.5)));
    warp_profile *= 1.0 - fray * step(0.5, hash12(cell.xx + 3.1));
    weft_profile *= 1.0 - fray * step(0.5, hash12(cell.yy + 7.7));

    vec3 warp = warp_col * warp_shade * warp_profile;
    vec3 weft = weft_col * weft_shade * weft_profile;
    vec3 colour = warp_on_top ? mix(weft, warp, warp_profile) : mix(warp, weft, weft_profile);
    colour += vec3(0.015, 0.02, 0.018);  // the loom's backing
    colour *= mix(1.0, 0.18, dark);

    // The golden thread: district borders glow gold as unity grows.
    vec2 px = 1.5 / u_canopy;
    float border = 0.0;
    border += float(community_at(uv + vec2(px.x, 0.0)) != id);
    border += float(community_at(uv - vec2(px.x, 0.0)) != id);
    border += float(community_at(uv + vec2(0.0, px.y)) != id);
    border += float(community_at(uv - vec2(0.0, px.y)) != id);
    float gold = clamp(border, 0.0, 1.0) * smoothstep(0.25, 0.9, u_unity);
    float shimmer = 0.7 + 0.3 * sin(u_audio_time * 2.0 + uv.x * 40.0 + uv.y * 25.0);
    colour = mix(colour, GOLD * (0.8 + 0.6 * shimmer), gold * 0.85);

    // Embroidery: the growth field stitched over the cloth as satin stitches.
    float v = texture(u_growth, uv).g;
    float stitch = 0.6 + 0.4 * sin((uv.x + uv.y) * u_threads * 6.0);
    // Satin-stitched fill, and a brighter couched outline around each growth.
    float fill = smoothstep(0.18, 0.32, v) * stitch * 0.55;
    float outline = smoothstep(0.06, 0.14, v) * (1.0 - smoothstep(0.16, 0.24, v));
    float embroidery = max(fill, outline);
    vec3 floss = mix(vec3(0.75, 0.95, 0.7), GOLD, u_unity * 0.6);
    colour = mix(colour, floss * (0.5 + hope), embroidery * 0.7 * (0.3 + 0.7 * powered));

    // Stress shows as a red heat under the weave before a node gives way.
    colour += vec3(0.35, 0.05, 0.02) * smoothstep(0.75, 1.0, stress) * powered;

    // Feedback trails: the cloth over a fading, slowly breathing echo of the last frame.
    vec2 centre = vec2(0.5);
    float breathe = 1.0 - 0.002 * (0.5 + u_hope) * (1.0 + 0.5 * sin(u_audio_time * 0.8));
    vec2 uv_prev = centre + (v_uv - centre) * breathe;
    uv_prev.x += sin(v_uv.y * 30.0 + u_time * 5.0) * 0.0015 * u_anger;
    vec3 echo = texture(u_previous, uv_prev).rgb * u_persistence;

    f_colour = vec4(max(colour, echo), 1.0);
}
