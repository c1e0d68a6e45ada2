// The headline indices and clocks every pass may read (see shaders/UNIFORMS.md).
uniform float u_time;          // simulated seconds
uniform float u_audio_time;    // a clock that runs faster when the room is loud
uniform vec2 u_resolution;     // output size in pixels
uniform float u_unity;
uniform float u_disparity;
uniform float u_outage;
uniform float u_hope;
uniform float u_anger;
uniform float u_participation;
uniform float u_loudness;
uniform int u_act;
