#version 330
// Puts the finished tapestry on a display: the part of it this display shows (u_view), with
// its soft-edge blend where it overlaps a neighbour (ramps that sum to one in light) and
// its masks. In calibration a test grid replaces the picture, with the selected point
// ringed, and the masked parts are tinted instead of black.
uniform sampler2D u_frame;
uniform sampler2D u_mask;      // window coverage, bottom row first: 1 lit, 0 masked
uniform vec4 u_view;           // x, y, width, height of the shown part, texture coordinates
uniform vec4 u_blend;          // ramp widths at the left, top, right, bottom (picture fractions)
uniform vec2 u_blend_shape;    // the ramp's curve, the projector's gamma
uniform vec2 u_resolution;     // the window, pixels
uniform int u_calibrating;     // 1: the test grid
uniform vec3 u_marker;         // the selected point, window pixels (y up), ring radius
uniform vec2 u_mesh;           // mesh control points (cols, rows)
in vec2 v_uv;                  // picture fractions, y down
out vec4 f_colour;

float ramp(float x) {
    x = clamp(x, 0.0, 1.0);
    float c = u_blend_shape.x;
    return x < 0.5 ? 0.5 * pow(2.0 * x, c) : 1.0 - 0.5 * pow(2.0 * (1.0 - x), c);
}

float edge(float width, float dist) {
    return width > 0.0 ? ramp(dist / width) : 1.0;
}

// Lines of a grid of n cells over t, a pixel wide whatever the warp.
float grid_line(vec2 t, vec2 n) {
    vec2 g = abs(fract(t * n + 0.5) - 0.5) / max(fwidth(t * n), vec2(1e-5));
    return 1.0 - clamp(min(g.x, g.y) - 0.5, 0.0, 1.0);
}

void main() {
    vec3 colour;
    if (u_calibrating == 1) {
        vec3 bg = mix(vec3(0.08), vec3(0.16), mod(floor(v_uv.x * 16.0) + floor(v_uv.y * 9.0), 2.0));
        colour = mix(bg, vec3(0.85), grid_line(v_uv, vec2(16.0, 9.0)));
        colour = mix(colour, vec3(0.2, 0.9, 1.0), grid_line(v_uv, max(u_mesh - 1.0, vec2(1.0))));
        float r = length(gl_FragCoord.xy - u_marker.xy);
        colour = mix(colour, vec3(1.0, 0.8, 0.1), 1.0 - clamp(abs(r - u_marker.z) - 1.0, 0.0, 1.0));
    } else {
        colour = texture(u_frame, u_view.xy + vec2(v_uv.x, 1.0 - v_uv.y) * u_view.zw).rgb;
    }
    float light = edge(u_blend.x, v_uv.x) * edge(u_blend.y, v_uv.y)
                * edge(u_blend.z, 1.0 - v_uv.x) * edge(u_blend.w, 1.0 - v_uv.y);
    colour *= pow(light, 1.0 / u_blend_shape.y);
    float lit = texture(u_mask, gl_FragCoord.xy / u_resolution).r;
    colour = u_calibrating == 1 ? mix(vec3(0.35, 0.0, 0.0), colour, lit) : colour * lit;
    f_colour = vec4(colour, 1.0);
}
