#version 330
// The operator's overlay: a text panel (shader errors, the HUD) blended over the picture.
uniform sampler2D u_overlay;   // RGBA8 text panel, premultiplied alpha
uniform vec4 u_panel;          // panel rectangle in the output: x, y, width, height (0..1)
in vec2 v_uv;
out vec4 f_colour;

void main() {
    vec2 p = (v_uv - u_panel.xy) / u_panel.zw;
    if (p.x < 0.0 || p.y < 0.0 || p.x > 1.0 || p.y > 1.0) {
        discard;
    }
    f_colour = texture(u_overlay, vec2(p.x, 1.0 - p.y));
}
