package webhook

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
)

var (
	errCiphertextSize = errors.New("ciphertext is not an IV plus whole blocks")
	errPadding        = errors.New("invalid PKCS#7 padding")
)

// decrypt opens the "encrypt" field of a body (feishu-platform.md §4.2):
// base64 of IV || AES-256-CBC(PKCS#7(plaintext)), with key SHA-256(encryptKey).
//
// Unlike the SDK's larkevent.EventDecrypt, which keeps whatever lies between
// the first '{' and the last '}', the padding is checked strictly: a body
// that was not encrypted with our key is refused rather than half-parsed.
// The padding bytes are compared in constant time so that the answer does
// not time how much of the padding was right.
func decrypt(b64, encryptKey string) ([]byte, error) {
	return decryptWith(bodyCipher(encryptKey), []byte(b64))
}

// bodyCipher is the AES-256 block of an Encrypt Key. The Handler makes it
// once: hashing the key and expanding it on every request would cost more
// than decrypting a message. A cipher.Block is safe for concurrent use.
func bodyCipher(encryptKey string) cipher.Block {
	key := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(fmt.Sprintf("webhook: aes: %v", err)) // a 32-byte key is always valid
	}
	return block
}

// decryptWith is decrypt with the block made already. It decodes and
// decrypts in one buffer, the only allocation.
func decryptWith(block cipher.Block, b64 []byte) ([]byte, error) {
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(b64)))
	n, err := base64.StdEncoding.Decode(buf, b64)
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	buf = buf[:n]
	// At least one block after the IV: PKCS#7 always adds one byte or more.
	if len(buf) < 2*aes.BlockSize || len(buf)%aes.BlockSize != 0 {
		return nil, errCiphertextSize
	}
	iv, out := buf[:aes.BlockSize], buf[aes.BlockSize:]
	// In place: CBC decryption reads each ciphertext block before it
	// overwrites it, and the IV is read before the first block is.
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, out)
	n, ok := pkcs7Len(out[len(out)-aes.BlockSize:])
	if !ok {
		return nil, errPadding
	}
	return out[:len(out)-n], nil
}

// pkcs7Len returns the padding length of the last block, checking every
// padding byte without branching on their values.
func pkcs7Len(last []byte) (int, bool) {
	n := int(last[len(last)-1])
	good := subtle.ConstantTimeLessOrEq(1, n) & subtle.ConstantTimeLessOrEq(n, len(last))
	for i := range last {
		// Byte i (counted from the end) is padding when i < n.
		fromEnd := len(last) - 1 - i
		inPad := subtle.ConstantTimeLessOrEq(fromEnd+1, n)
		same := subtle.ConstantTimeByteEq(last[i], byte(n))
		// Inside the padding the byte must equal n; outside, anything goes.
		good &= same | (inPad ^ 1)
	}
	return n, good == 1
}
