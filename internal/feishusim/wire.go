package feishusim

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// Encrypt does what the platform does to an event when an Encrypt Key is
// configured: AES-256-CBC with key SHA-256(encryptKey), a random IV prepended,
// PKCS#7 padding, base64. The result goes into {"encrypt": "..."}.
func Encrypt(plaintext []byte, encryptKey string) (string, error) {
	key := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return "", fmt.Errorf("feishusim: encrypt: %w", err)
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := make([]byte, aes.BlockSize+len(plaintext)+pad)
	iv := buf[:aes.BlockSize]
	if _, err := rand.Read(iv); err != nil {
		return "", fmt.Errorf("feishusim: encrypt: iv: %w", err)
	}
	ct := buf[aes.BlockSize:]
	copy(ct, plaintext)
	for i := len(plaintext); i < len(ct); i++ {
		ct[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)
	return base64.StdEncoding.EncodeToString(buf), nil
}

// Decrypt reverses Encrypt, checking the PKCS#7 padding strictly (the
// SDK's larkevent.EventDecrypt does not; it trims to the outermost braces).
func Decrypt(b64, encryptKey string) ([]byte, error) {
	buf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("feishusim: decrypt: %w", err)
	}
	if len(buf) < 2*aes.BlockSize || len(buf)%aes.BlockSize != 0 {
		return nil, errors.New("feishusim: decrypt: ciphertext length is not a positive multiple of the block size")
	}
	key := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("feishusim: decrypt: %w", err)
	}
	iv, ct := buf[:aes.BlockSize], buf[aes.BlockSize:]
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ct)
	n := int(out[len(out)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, errors.New("feishusim: decrypt: bad padding")
	}
	for _, c := range out[len(out)-n:] {
		if int(c) != n {
			return nil, errors.New("feishusim: decrypt: bad padding")
		}
	}
	return out[:len(out)-n], nil
}

// Sign computes X-Lark-Signature for events and card.action.trigger callbacks:
// lowercase hex SHA-256 of timestamp + nonce + encrypt key + raw body.
func Sign(timestamp, nonce, encryptKey string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write([]byte(nonce))
	h.Write([]byte(encryptKey))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// SignLegacy computes X-Lark-Signature for the older card request URL format:
// lowercase hex SHA-1 of timestamp + nonce + verification token + raw body.
func SignLegacy(timestamp, nonce, verificationToken string, body []byte) string {
	h := sha1.New()
	h.Write([]byte(timestamp))
	h.Write([]byte(nonce))
	h.Write([]byte(verificationToken))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}
