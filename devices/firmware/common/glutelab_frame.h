/*
 * GluteLab serial protocol v1 (docs/protocol.md): framing and CRC in plain C, shared by the reference
 * firmware sketches and compiled by the host test suite (tests/devices/test_firmware_c.py), which checks it
 * against the Python encoder/decoder on shared golden frames.
 *
 * Frame, little-endian:  A5 5A | type u8 | seq u16 | len u16 | payload[len] | crc u16
 * CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) over type..payload.
 */
#ifndef GLUTELAB_FRAME_H
#define GLUTELAB_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GLUTELAB_SYNC0 0xA5
#define GLUTELAB_SYNC1 0x5A
#define GLUTELAB_HEADER_SIZE 7
#define GLUTELAB_CRC_SIZE 2
#define GLUTELAB_MAX_PAYLOAD 4096
#define GLUTELAB_DATA_HEADER_SIZE 8

/* host -> device */
#define GLUTELAB_MSG_INFO_REQUEST 0x01
#define GLUTELAB_MSG_START 0x02
#define GLUTELAB_MSG_STOP 0x03
/* device -> host */
#define GLUTELAB_MSG_INFO 0x81
#define GLUTELAB_MSG_DATA 0x82
#define GLUTELAB_MSG_ERROR 0x83

#define GLUTELAB_FORMAT_INT16 1
#define GLUTELAB_FORMAT_INT32 2

uint16_t glutelab_crc16(const uint8_t *data, size_t len, uint16_t crc);

/* Encode one frame into out; returns its length, or 0 if it does not fit or the payload is too long. */
size_t glutelab_encode_frame(uint8_t type, uint16_t seq, const uint8_t *payload, uint16_t len,
                             uint8_t *out, size_t out_size);

/* One DATA frame: n_samples rows of `channels` interleaved samples (row-major). */
size_t glutelab_encode_data16(uint16_t seq, uint32_t first_index, uint8_t channels, const int16_t *samples,
                              uint16_t n_samples, uint8_t *out, size_t out_size);
size_t glutelab_encode_data32(uint16_t seq, uint32_t first_index, uint8_t channels, const int32_t *samples,
                              uint16_t n_samples, uint8_t *out, size_t out_size);

/* Byte-at-a-time receiver for host commands. Garbage and frames with a bad CRC are skipped; frames whose
 * payload exceeds the buffer are skipped too. */
typedef struct {
    uint8_t *payload;       /* caller's buffer */
    uint16_t capacity;      /* its size */
    uint8_t state;
    uint8_t header[GLUTELAB_HEADER_SIZE];
    uint16_t pos;
    uint16_t len;
    uint8_t type;
    uint16_t seq;
    uint16_t crc_rx;
    uint32_t crc_failures;
    uint32_t bytes_discarded;
} glutelab_parser_t;

void glutelab_parser_init(glutelab_parser_t *p, uint8_t *payload_buffer, uint16_t capacity);

/* Feed one byte; returns 1 when a valid frame is complete (p->type, p->seq, p->len, p->payload). */
int glutelab_parser_feed(glutelab_parser_t *p, uint8_t byte);

#ifdef __cplusplus
}
#endif

#endif
