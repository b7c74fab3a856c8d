/* GluteLab serial protocol v1: framing and CRC (see glutelab_frame.h). Plain C99, no allocation. */
#include "glutelab_frame.h"

uint16_t glutelab_crc16(const uint8_t *data, size_t len, uint16_t crc) {
    size_t i;
    int bit;
    for (i = 0; i < len; i++) {
        crc ^= (uint16_t)((uint16_t)data[i] << 8);
        for (bit = 0; bit < 8; bit++) {
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
        }
    }
    return crc;
}

static void put_u16(uint8_t *out, uint16_t v) {
    out[0] = (uint8_t)(v & 0xFF);
    out[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *out, uint32_t v) {
    put_u16(out, (uint16_t)(v & 0xFFFFu));
    put_u16(out + 2, (uint16_t)(v >> 16));
}

size_t glutelab_encode_frame(uint8_t type, uint16_t seq, const uint8_t *payload, uint16_t len,
                             uint8_t *out, size_t out_size) {
    size_t total = (size_t)GLUTELAB_HEADER_SIZE + len + GLUTELAB_CRC_SIZE;
    uint16_t i;
    if (len > GLUTELAB_MAX_PAYLOAD || total > out_size) return 0;
    out[0] = GLUTELAB_SYNC0;
    out[1] = GLUTELAB_SYNC1;
    out[2] = type;
    put_u16(out + 3, seq);
    put_u16(out + 5, len);
    for (i = 0; i < len; i++) out[GLUTELAB_HEADER_SIZE + i] = payload[i];
    put_u16(out + GLUTELAB_HEADER_SIZE + len, glutelab_crc16(out + 2, (size_t)5 + len, 0xFFFF));
    return total;
}

static size_t encode_data(uint16_t seq, uint32_t first_index, uint8_t channels, uint8_t format,
                          const void *samples, uint16_t n_samples, uint8_t *out, size_t out_size) {
    size_t itemsize = format == GLUTELAB_FORMAT_INT16 ? 2 : 4;
    size_t count = (size_t)channels * n_samples;
    size_t len = GLUTELAB_DATA_HEADER_SIZE + count * itemsize;
    size_t total = GLUTELAB_HEADER_SIZE + len + GLUTELAB_CRC_SIZE;
    uint8_t *p = out + GLUTELAB_HEADER_SIZE;
    size_t i;
    if (channels == 0 || len > GLUTELAB_MAX_PAYLOAD || total > out_size) return 0;
    put_u32(p, first_index);
    p[4] = channels;
    p[5] = format;
    put_u16(p + 6, n_samples);
    p += GLUTELAB_DATA_HEADER_SIZE;
    for (i = 0; i < count; i++) {
        if (format == GLUTELAB_FORMAT_INT16) {
            put_u16(p + 2 * i, (uint16_t)((const int16_t *)samples)[i]);
        } else {
            put_u32(p + 4 * i, (uint32_t)((const int32_t *)samples)[i]);
        }
    }
    out[0] = GLUTELAB_SYNC0;
    out[1] = GLUTELAB_SYNC1;
    out[2] = GLUTELAB_MSG_DATA;
    put_u16(out + 3, seq);
    put_u16(out + 5, (uint16_t)len);
    put_u16(out + GLUTELAB_HEADER_SIZE + len, glutelab_crc16(out + 2, 5 + len, 0xFFFF));
    return total;
}

size_t glutelab_encode_data16(uint16_t seq, uint32_t first_index, uint8_t channels, const int16_t *samples,
                              uint16_t n_samples, uint8_t *out, size_t out_size) {
    return encode_data(seq, first_index, channels, GLUTELAB_FORMAT_INT16, samples, n_samples, out, out_size);
}

size_t glutelab_encode_data32(uint16_t seq, uint32_t first_index, uint8_t channels, const int32_t *samples,
                              uint16_t n_samples, uint8_t *out, size_t out_size) {
    return encode_data(seq, first_index, channels, GLUTELAB_FORMAT_INT32, samples, n_samples, out, out_size);
}

enum { ST_SYNC0, ST_SYNC1, ST_HEADER, ST_PAYLOAD, ST_CRC };

void glutelab_parser_init(glutelab_parser_t *p, uint8_t *payload_buffer, uint16_t capacity) {
    p->payload = payload_buffer;
    p->capacity = capacity;
    p->state = ST_SYNC0;
    p->pos = 0;
    p->len = 0;
    p->type = 0;
    p->seq = 0;
    p->crc_rx = 0;
    p->crc_failures = 0;
    p->bytes_discarded = 0;
}

int glutelab_parser_feed(glutelab_parser_t *p, uint8_t byte) {
    uint16_t crc;
    switch (p->state) {
    case ST_SYNC0:
        if (byte == GLUTELAB_SYNC0) {
            p->state = ST_SYNC1;
        } else {
            p->bytes_discarded++;
        }
        return 0;
    case ST_SYNC1:
        if (byte == GLUTELAB_SYNC1) {
            p->header[0] = GLUTELAB_SYNC0;
            p->header[1] = GLUTELAB_SYNC1;
            p->pos = 2;
            p->state = ST_HEADER;
        } else if (byte != GLUTELAB_SYNC0) {
            p->bytes_discarded += 2;
            p->state = ST_SYNC0;
        } else {
            p->bytes_discarded++;
        }
        return 0;
    case ST_HEADER:
        p->header[p->pos++] = byte;
        if (p->pos == GLUTELAB_HEADER_SIZE) {
            p->type = p->header[2];
            p->seq = (uint16_t)(p->header[3] | (p->header[4] << 8));
            p->len = (uint16_t)(p->header[5] | (p->header[6] << 8));
            if (p->len > p->capacity || p->len > GLUTELAB_MAX_PAYLOAD) {
                p->bytes_discarded += GLUTELAB_HEADER_SIZE;
                p->state = ST_SYNC0;
                return 0;
            }
            p->pos = 0;
            p->state = p->len ? ST_PAYLOAD : ST_CRC;
        }
        return 0;
    case ST_PAYLOAD:
        p->payload[p->pos++] = byte;
        if (p->pos == p->len) {
            p->pos = 0;
            p->state = ST_CRC;
        }
        return 0;
    default: /* ST_CRC */
        if (p->pos == 0) {
            p->crc_rx = byte;
            p->pos = 1;
            return 0;
        }
        p->crc_rx |= (uint16_t)(byte << 8);
        p->state = ST_SYNC0;
        crc = glutelab_crc16(p->header + 2, 5, 0xFFFF);
        crc = glutelab_crc16(p->payload, p->len, crc);
        if (crc != p->crc_rx) {
            p->crc_failures++;
            p->bytes_discarded += (uint32_t)GLUTELAB_HEADER_SIZE + p->len + GLUTELAB_CRC_SIZE;
            return 0;
        }
        return 1;
    }
}
