package statetest

import "strings"

// Slot is the Redis Cluster hash slot of key (CLUSTER KEYSLOT): CRC16
// (XMODEM) of its hash tag, the text between its first '{' and the next
// '}' when that is not empty, else of the whole key, modulo 16384. Tests
// check the key schema's slot rules with it, without a cluster.
func Slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for k := 0; k < len(key); k++ {
		crc ^= uint16(key[k]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}
