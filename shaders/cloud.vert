#version 330
// The Neural Cloud: one instanced quad per filament (a link) or knot (a node).
in vec2 in_corner;          // quad corner in [-1, 1]^2
in vec4 in_segment;         // x0, y0, x1, y1 in canopy units (a knot has x0 == x1)
in vec2 in_state;           // alive, stress
uniform vec2 u_resolution;
uniform float u_thickness;  // in canopy units
out vec2 v_local;           // position across (x) and along (y) the quad
out vec2 v_state;
out float v_length;

void main() {
    vec2 a = in_segment.xy;
    vec2 b = in_segment.zw;
    vec2 dir = b - a;
    float len = length(dir);
    vec2 along = len > 1e-6 ? dir / len : vec2(1.0, 0.0);
    vec2 across = vec2(-along.y, along.x);
    float half_w = len > 1e-6 ? u_thickness : u_thickness * 3.0;
    vec2 centre = (a + b) * 0.5;
    vec2 p = centre + along * (in_corner.y * (len * 0.5 + half_w)) + across * (in_corner.x * half_w);
    v_local = vec2(in_corner.x, in_corner.y * (len * 0.5 + half_w) / max(half_w, 1e-6));
    v_length = (len * 0.5 + half_w) / max(half_w, 1e-6);
    v_state = in_state;
    gl_Position = vec4(p.x * 2.0 - 1.0, 1.0 - p.y * 2.0, 0.0, 1.0);
}
