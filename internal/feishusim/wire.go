package feishusim

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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
