#version 330
// Puts the finished tapestry on a display: the part of it this display shows (u_view),
// scaled into the viewport the window gives it.
uniform sampler2D u_frame;
uniform vec4 u_view;           // x, y, width, height of the shown part, texture coordinates
in vec2 v_uv;
out vec4 f_colour;

void main() {
    f_colour = vec4(texture(u_frame, u_view.xy + v_uv * u_view.zw).rgb, 1.0);
}
