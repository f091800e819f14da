package seal

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// An encrypted file's payload is age's STREAM (the age specification,
// "Payload"): a 16-byte nonce after the header, then chunks of ChunkSize
// plaintext bytes, each sealed with ChaCha20-Poly1305 under a key derived
// from the file key and that nonce, with the chunk's index in its nonce
// and the last chunk marked. Each chunk authenticates on its own, in any
// order; knowing the file's size (a torrent records it), nothing can be
// cut off or added. age decrypts a file through a reader (Decrypt) or,
// once it holds the last chunk, at any offset (DecryptReaderAt); Chunks
// needs only the header, and leaves the buffers to its caller.

// ChunkSize is how much plaintext each chunk of an encrypted file holds;
// ChunkOverhead is what each chunk adds.
const ChunkSize, ChunkOverhead = 64 << 10, chacha20poly1305.Overhead

const (
	encChunkSize  = ChunkSize + ChunkOverhead
	streamNonce   = 16
	lastChunkFlag = 0x01
)

// Chunks opens the chunks of one encrypted file, each on its own.
type Chunks struct {
	aead    cipher.AEAD
	payload int64 // where chunk 0 begins
	size    int64 // the encrypted file's size
	plain   int64
	n       int64
}

// OpenChunks reads the header and the payload's nonce of the encrypted
// file of size bytes that src reads (its first bytes only, a few KiB at
// most), opening it with identity as Decrypt does.
func OpenChunks(src io.ReaderAt, size int64, identity string) (*Chunks, error) {
	ids, err := parseIdentities(identity)
	if err != nil {
		return nil, err
	}
	hdr, err := age.ExtractHeader(io.NewSectionReader(src, 0, size))
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	fileKey, err := age.DecryptHeader(hdr, ids...)
	if err != nil {
		return nil, openError(err)
	}
	return newChunks(src, fileKey, int64(len(hdr)), size)
}

// newChunks reads the payload's nonce, which follows the header of hdrLen
// bytes (as age re-encodes it, as its DecryptReaderAt counts it), and
// checks that size holds whole chunks.
func newChunks(src io.ReaderAt, fileKey []byte, hdrLen, size int64) (*Chunks, error) {
	nonce := make([]byte, streamNonce)
	if n, err := src.ReadAt(nonce, hdrLen); n < len(nonce) {
		return nil, fmt.Errorf("seal: reading the payload's nonce: %w", err)
	}
	key, err := hkdf.Key(sha256.New, fileKey, nonce, "payload", chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	c := &Chunks{aead: aead, payload: hdrLen + streamNonce, size: size}
	pl := size - c.payload
	c.n = (pl + encChunkSize - 1) / encChunkSize
	c.plain = pl - c.n*ChunkOverhead
	// Only an empty plaintext has (and needs) an empty chunk.
	if pl <= 0 || c.plain < 0 || max(1, (c.plain+ChunkSize-1)/ChunkSize) != c.n {
		return nil, fmt.Errorf("seal: an encrypted file of %d bytes does not end with a whole chunk (truncated or corrupt)", size)
	}
	return c, nil
}

// Plain is the plaintext's size.
func (c *Chunks) Plain() int64 { return c.plain }

// Count is the number of chunks.
func (c *Chunks) Count() int64 { return c.n }

// Range is where chunk i lies in the encrypted file: off, n bytes.
func (c *Chunks) Range(i int64) (off, n int64) {
	off = c.payload + i*encChunkSize
	return off, min(encChunkSize, c.size-off)
}

// Open authenticates and decrypts chunk i (its Range's bytes), appending
// the plaintext to dst.
func (c *Chunks) Open(dst, sealed []byte, i int64) ([]byte, error) {
	if i < 0 || i >= c.n {
		return nil, fmt.Errorf("seal: chunk %d of %d", i, c.n)
	}
	var nonce [chacha20poly1305.NonceSize]byte
	binary.BigEndian.PutUint64(nonce[3:11], uint64(i))
	if i == c.n-1 {
		nonce[len(nonce)-1] = lastChunkFlag
	}
	out, err := c.aead.Open(dst, nonce[:], sealed, nil)
	if err != nil {
		return nil, fmt.Errorf("seal: decrypting chunk %d: %w (the encrypted file is tampered with, corrupt or truncated)", i, err)
	}
	return out, nil
}
