#version 430 core
// Colours one matrix: a float texture (one texel per cell) through a colormap lookup table.
// Cells holding -inf are masked and get u_masked_color.
layout(binding = 0) uniform sampler2D u_values;    // R32F, (cols, rows)
layout(binding = 1) uniform sampler2D u_colormap;  // RGBA8, (256, 1)
uniform float u_lo;
uniform float u_hi;
uniform vec4 u_masked_color;
out vec4 frag_color;

void main() {
    ivec2 cell = ivec2(gl_FragCoord.xy);
    float v = texelFetch(u_values, cell, 0).r;  // texel row r is matrix row r; ImGui draws row 0 on top
    if (isinf(v) && v < 0.0) {
        frag_color = u_masked_color;
        return;
    }
    float t = u_hi > u_lo ? clamp((v - u_lo) / (u_hi - u_lo), 0.0, 1.0) : 0.5;
    frag_color = texture(u_colormap, vec2((t * 255.0 + 0.5) / 256.0, 0.5));
}
