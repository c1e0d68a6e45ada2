#version 330
// Bloom: a separable 9-tap Gaussian along u_direction (in texels of the source). With a
// threshold above zero it first keeps only light brighter than that (the bright pass).
uniform sampler2D u_source;
uniform vec2 u_direction;
uniform float u_threshold;
in vec2 v_uv;
out vec4 f_colour;

vec3 bright(vec3 c) {
    if (u_threshold <= 0.0) {
        return c;
    }
    float l = max(max(c.r, c.g), c.b);
    return c * smoothstep(u_threshold, u_threshold + 0.25, l);
}

void main() {
    vec2 texel = u_direction / vec2(textureSize(u_source, 0));
    vec3 sum = bright(texture(u_source, v_uv).rgb) * 0.227027;
    sum += bright(texture(u_source, v_uv + texel * 1.384615).rgb) * 0.316216;
    sum += bright(texture(u_source, v_uv - texel * 1.384615).rgb) * 0.316216;
    sum += bright(texture(u_source, v_uv + texel * 3.230769).rgb) * 0.070270;
    sum += bright(texture(u_source, v_uv - texel * 3.230769).rgb) * 0.070270;
    f_colour = vec4(sum, 1.0);
}
