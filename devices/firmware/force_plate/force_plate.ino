// GluteLab force plate, reference firmware (GluteLab serial protocol v1, docs/protocol.md).
//
// Four load cells at the corners of the plate, each on an HX711 24-bit ADC (RATE pin high: 80 samples/s),
// DOUT pins below, one shared SCK. The four chips are clocked together, so the four cells of one sample are
// taken at the same instant. For the sit-down landing, build the fast variant (ADS1256 / ADS131 class,
// >= 1 kHz): only read_cells() and SAMPLE_RATE_HZ change; the frames stay the same.
//
// Counts are sent raw (int32). Calibration travels in the INFO reply: newtons = (counts - offset) * scale,
// per cell, found with known weights (offset: the empty plate, "tare"; scale: newtons per count). The host
// computes Fz and the centre of pressure from plate_width_mm / plate_length_mm (devices/plate.py).

#include "src/glutelab_frame.h"

#define N_CELLS 4
#define SAMPLE_RATE_HZ 80
#define SAMPLES_PER_FRAME 4
#define PIN_SCK 6

static const uint8_t PIN_DOUT[N_CELLS] = {2, 3, 4, 5};  // front_left, front_right, back_left, back_right

static const char INFO_JSON[] =
    "{\"kind\":\"plate\",\"model\":\"GluteLab Plate-4 (HX711)\",\"serial\":\"PLT-0001\","
    "\"firmware\":\"1.0.0\",\"sample_rate_hz\":80.0,"
    "\"channel_names\":[\"front_left\",\"front_right\",\"back_left\",\"back_right\"],"
    "\"units\":\"N\",\"scale\":[0.00098,0.00098,0.00098,0.00098],"
    "\"offset\":[8388.0,-1204.0,530.0,2210.0],"
    "\"plate_width_mm\":400.0,\"plate_length_mm\":600.0}";

static uint8_t rx_buffer[64];
static glutelab_parser_t parser;
static uint8_t tx_buffer[sizeof(INFO_JSON) + GLUTELAB_HEADER_SIZE + GLUTELAB_DATA_HEADER_SIZE +
                         4 * N_CELLS * SAMPLES_PER_FRAME + GLUTELAB_CRC_SIZE];
static int32_t samples[SAMPLES_PER_FRAME * N_CELLS];
static uint16_t seq = 0;
static uint32_t sample_index = 0;
static uint16_t in_frame = 0;
static bool streaming = false;

static bool cells_ready() {
  for (uint8_t c = 0; c < N_CELLS; c++) {
    if (digitalRead(PIN_DOUT[c]) == HIGH) return false;
  }
  return true;
}

// Clock 24 bits out of all four HX711s at once (MSB first), then one pulse: channel A, gain 128.
static void read_cells(int32_t *out) {
  uint32_t raw[N_CELLS] = {0, 0, 0, 0};
  for (uint8_t bit = 0; bit < 24; bit++) {
    digitalWrite(PIN_SCK, HIGH);
    delayMicroseconds(1);
    for (uint8_t c = 0; c < N_CELLS; c++) raw[c] = (raw[c] << 1) | (uint32_t)digitalRead(PIN_DOUT[c]);
    digitalWrite(PIN_SCK, LOW);
    delayMicroseconds(1);
  }
  digitalWrite(PIN_SCK, HIGH);
  delayMicroseconds(1);
  digitalWrite(PIN_SCK, LOW);
  for (uint8_t c = 0; c < N_CELLS; c++) {
    out[c] = (raw[c] & 0x800000UL) ? (int32_t)(raw[c] | 0xFF000000UL) : (int32_t)raw[c];  // sign-extend
  }
}

static void send_frame(uint8_t type, const uint8_t *payload, uint16_t len) {
  size_t n = glutelab_encode_frame(type, seq++, payload, len, tx_buffer, sizeof tx_buffer);
  Serial.write(tx_buffer, n);
}

static void handle_command(uint8_t type) {
  if (type == GLUTELAB_MSG_INFO_REQUEST) {
    send_frame(GLUTELAB_MSG_INFO, (const uint8_t *)INFO_JSON, sizeof(INFO_JSON) - 1);
  } else if (type == GLUTELAB_MSG_START) {
    streaming = true;
    in_frame = 0;
  } else if (type == GLUTELAB_MSG_STOP) {
    streaming = false;
  } else {
    static const char msg[] = "unknown command";
    send_frame(GLUTELAB_MSG_ERROR, (const uint8_t *)msg, sizeof(msg) - 1);
  }
}

void setup() {
  Serial.begin(921600);
  pinMode(PIN_SCK, OUTPUT);
  digitalWrite(PIN_SCK, LOW);
  for (uint8_t c = 0; c < N_CELLS; c++) pinMode(PIN_DOUT[c], INPUT);
  glutelab_parser_init(&parser, rx_buffer, sizeof rx_buffer);
}

void loop() {
  while (Serial.available() > 0) {
    if (glutelab_parser_feed(&parser, (uint8_t)Serial.read())) handle_command(parser.type);
  }
  if (!streaming || !cells_ready()) return;  // the HX711s pace the stream (DOUT low = sample ready)
  read_cells(&samples[in_frame * N_CELLS]);
  if (++in_frame == SAMPLES_PER_FRAME) {
    size_t n = glutelab_encode_data32(seq++, sample_index, N_CELLS, samples, SAMPLES_PER_FRAME, tx_buffer,
                                      sizeof tx_buffer);
    Serial.write(tx_buffer, n);
    sample_index += SAMPLES_PER_FRAME;
    in_frame = 0;
  }
}
