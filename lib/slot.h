/* Redis Cluster hash slots: which of the 16384 slots a key lives in, by the
 * cluster's own rule (CRC16-XMODEM of the key's hash tag, or of the whole
 * key when it has none), so that the store can send each command to the
 * node serving its key. Every key of a partition carries the hash tag
 * {p<N>} (keys.h), so a partition lives in one slot. */
#ifndef CW_SLOT_H
#define CW_SLOT_H

#include <stddef.h>
#include <stdint.h>

#define CW_SLOT_COUNT 16384

/* CRC16, XMODEM variant (polynomial 0x1021, initial value 0, no reflection):
 * the checksum Redis Cluster hashes keys with. */
uint16_t cw_slot_crc16(const void *data, size_t len);
/* The slot of a key (0 .. CW_SLOT_COUNT - 1): the CRC16 of what lies
 * between the first '{' and the first '}' after it, when that is not empty;
 * else of the whole key. */
int cw_slot_of(const char *key, size_t len);

#endif
