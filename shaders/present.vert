#version 330
// Places a display's picture in its window: each vertex of the picture (already bent by the
// mesh warp) goes through the corner pin, a homography applied here with its w, so the pin
// is exact and the picture is interpolated in perspective.
uniform mat3 u_pin;        // picture fractions -> window fractions (both y down)
in vec2 in_pos;            // the vertex after the mesh warp, picture fractions
in vec2 in_uv;             // the picture point it shows
out vec2 v_uv;
void main() {
    vec3 p = u_pin * vec3(in_pos, 1.0);
    v_uv = in_uv;
    gl_Position = vec4(2.0 * p.x - p.z, p.z - 2.0 * p.y, 0.0, p.z);
}
