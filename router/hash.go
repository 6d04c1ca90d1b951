package router

import (
	"crypto/cipher"
	"crypto/des"
	"encoding/binary"
	"fmt"

	"github.com/cespare/xxhash/v2"
)

// nullKey is the DES key of Vitess's hash vindex: eight zero bytes.
var nullKey = make([]byte, 8)

// desBlock is the DES cipher under nullKey. cipher.Block is safe for
// concurrent use: Encrypt and Decrypt keep no state.
var desBlock cipher.Block = func() cipher.Block {
	b, err := des.NewCipher(nullKey)
	if err != nil {
		panic(err)
	}
	return b
}()

// hashUint64 is Vitess's hash vindex for integers: the value as 8 bytes big
// endian, encrypted with single DES under an all-zero key.
func hashUint64(v uint64) []byte {
	var in [8]byte
	binary.BigEndian.PutUint64(in[:], v)
	out := make([]byte, 8)
	desBlock.Encrypt(out, in[:])
	return out
}

// unhashUint64 inverts hashUint64.
func unhashUint64(ksid []byte) (uint64, error) {
	if len(ksid) != 8 {
		return 0, fmt.Errorf("invalid keyspace id %x: hash keyspace ids are 8 bytes, got %d", ksid, len(ksid))
	}
	var out [8]byte
	desBlock.Decrypt(out[:], ksid)
	return binary.BigEndian.Uint64(out[:]), nil
}

// hashBytes is Vitess's xxhash vindex: xxHash64 (seed 0) of the bytes,
// written little endian.
func hashBytes(b []byte) []byte {
	out := make([]byte, 8)
	binary.LittleEndian.PutUint64(out, xxhash.Sum64(b))
	return out
}
