// GluteLab EMG rig, reference firmware (GluteLab serial protocol v1, docs/protocol.md).
//
// Board: Teensy 4.x / 3.x (USB CDC serial, 12-bit ADC) or any Arduino with enough analog pins.
// Front ends: MyoWare 2.0 or BioAmp EXG boards, RAW output (not the envelope) to A0..A5.
// The framing and CRC live in src/glutelab_frame.c (a link to ../common), the same C the host tests compile.
//
// Host commands: INFO_REQUEST -> INFO (JSON below), START -> DATA frames of SAMPLES_PER_FRAME samples,
// STOP -> silence. Samples are paced on micros(); a sample that is late is still taken (never skipped), and
// the first-sample index in every DATA frame lets the host see any gap.

#include "src/glutelab_frame.h"

#define N_CHANNELS 6
#define SAMPLE_RATE_HZ 2000
#define SAMPLES_PER_FRAME 20
#define ADC_BITS 12

static const uint8_t PINS[N_CHANNELS] = {A0, A1, A2, A3, A4, A5};

// Keep in step with the constants above. scale: microvolts per ADC count at the electrodes
// (3.3 V / 4096 counts / front-end gain 1100 ~ 0.732 uV); offset: mid-scale of the ADC.
static const char INFO_JSON[] =
    "{\"kind\":\"emg\",\"model\":\"GluteLab EMG-6 (Teensy + BioAmp)\",\"serial\":\"EMG-0001\","
    "\"firmware\":\"1.0.0\",\"sample_rate_hz\":2000.0,"
    "\"channel_names\":[\"glute_max_left\",\"hamstrings_left\",\"erector_spinae_left\","
    "\"glute_max_right\",\"hamstrings_right\",\"erector_spinae_right\"],"
    "\"units\":\"uV\",\"scale\":[0.732,0.732,0.732,0.732,0.732,0.732],"
    "\"offset\":[2048.0,2048.0,2048.0,2048.0,2048.0,2048.0]}";

static uint8_t rx_buffer[64];
static glutelab_parser_t parser;
static uint8_t tx_buffer[GLUTELAB_HEADER_SIZE + GLUTELAB_DATA_HEADER_SIZE + 2 * N_CHANNELS * SAMPLES_PER_FRAME +
                         GLUTELAB_CRC_SIZE];
static uint8_t info_buffer[sizeof(INFO_JSON) + GLUTELAB_HEADER_SIZE + GLUTELAB_CRC_SIZE];
static int16_t samples[SAMPLES_PER_FRAME * N_CHANNELS];
static uint16_t seq = 0;
static uint32_t sample_index = 0;
static uint16_t in_frame = 0;
static bool streaming = false;
static uint32_t next_us = 0;

static void send_frame(uint8_t type, const uint8_t *payload, uint16_t len) {
  size_t n = glutelab_encode_frame(type, seq++, payload, len, info_buffer, sizeof info_buffer);
  Serial.write(info_buffer, n);
}

static void handle_command(uint8_t type) {
  if (type == GLUTELAB_MSG_INFO_REQUEST) {
    send_frame(GLUTELAB_MSG_INFO, (const uint8_t *)INFO_JSON, sizeof(INFO_JSON) - 1);
  } else if (type == GLUTELAB_MSG_START) {
    streaming = true;
    in_frame = 0;
    next_us = micros();
  } else if (type == GLUTELAB_MSG_STOP) {
    streaming = false;
  } else {
    static const char msg[] = "unknown command";
    send_frame(GLUTELAB_MSG_ERROR, (const uint8_t *)msg, sizeof(msg) - 1);
  }
}

void setup() {
  Serial.begin(921600);  // ignored by USB CDC; used by UART bridges
  analogReadResolution(ADC_BITS);
  glutelab_parser_init(&parser, rx_buffer, sizeof rx_buffer);
}

void loop() {
  while (Serial.available() > 0) {
    if (glutelab_parser_feed(&parser, (uint8_t)Serial.read())) handle_command(parser.type);
  }
  if (!streaming || (int32_t)(micros() - next_us) < 0) return;
  next_us += 1000000UL / SAMPLE_RATE_HZ;
  for (uint8_t c = 0; c < N_CHANNELS; c++) samples[in_frame * N_CHANNELS + c] = (int16_t)analogRead(PINS[c]);
  if (++in_frame == SAMPLES_PER_FRAME) {
    size_t n = glutelab_encode_data16(seq++, sample_index, N_CHANNELS, samples, SAMPLES_PER_FRAME, tx_buffer,
                                      sizeof tx_buffer);
    Serial.write(tx_buffer, n);
    sample_index += SAMPLES_PER_FRAME;
    in_frame = 0;
  }
}
