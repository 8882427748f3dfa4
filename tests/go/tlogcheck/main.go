// Command tlogcheck checks Kelisim's transparency log output with an implementation we did
// not write: Go's golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog (Debian's
// golang-golang-x-mod-dev). tests/test_tlog_interop.py builds and runs it.
//
// It reads a JSON request on stdin (our checkpoint, verifier key, leaves, proofs and tiles,
// good and tampered) and writes a JSON answer on stdout: for each check the error Go's
// packages returned ("" when they accepted), plus a checkpoint Go signed and proofs Go made
// over the same leaves, for our Python code to verify. It decides nothing itself: the test
// asserts which checks must pass and which must fail.
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Name  string   `json:"name"`
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Leaf  string   `json:"leaf"` // base64 of the leaf hash
	Root  string   `json:"root"`
	Proof []string `json:"proof"`
}

type consistency struct {
	Name    string   `json:"name"`
	OldSize int64    `json:"old_size"`
	NewSize int64    `json:"new_size"`
	OldRoot string   `json:"old_root"`
	NewRoot string   `json:"new_root"`
	Proof   []string `json:"proof"`
}

type request struct {
	Vkey        string            `json:"vkey"`
	Checkpoints map[string]string `json:"checkpoints"` // name -> signed note
	LeafHashes  []string          `json:"leaf_hashes"`
	Records     []string          `json:"records"` // entries (base64) Go hashes itself, after LeafHashes
	Inclusion   []inclusion       `json:"inclusion"`
	Consistency []consistency     `json:"consistency"`
	TileSize    int64             `json:"tile_size"`
	Tiles       map[string]string `json:"tiles"` // C2SP path -> base64 bytes
	GoOrigin    string            `json:"go_origin"`
	GoSizes     []int64           `json:"go_sizes"`       // the sizes whose root Go reports
	PathTiles   [][3]int64        `json:"path_tiles"`     // (level, index, width) to name
	GoInclusion [][2]int64        `json:"go_inclusion"`   // (index, size) pairs to prove
	GoConsist   [][2]int64        `json:"go_consistency"` // (old size, new size) pairs
}

type proved struct {
	A     int64    `json:"a"`
	B     int64    `json:"b"`
	Proof []string `json:"proof"`
}

type answer struct {
	Results      map[string]string `json:"results"`
	CheckpointTx map[string]string `json:"checkpoint_text"`
	GoTiles      map[string]string `json:"go_tiles"`
	GoPaths      []string          `json:"go_paths"`
	GoVkey       string            `json:"go_vkey"`
	GoCheckpoint string            `json:"go_checkpoint"`
	GoRoots      map[string]string `json:"go_roots"`
	GoInclusion  []proved          `json:"go_inclusion"`
	GoConsistent []proved          `json:"go_consistency"`
	RecordHashes []string          `json:"record_hashes"` // tlog.RecordHash of each record
}

func hash(s string) tlog.Hash {
	h, err := tlog.ParseHash(s)
	if err != nil {
		fail(fmt.Errorf("hash %q: %v", s, err))
	}
	return h
}

func hashes(list []string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		out[i] = hash(s)
	}
	return out
}

func b64(list []tlog.Hash) []string {
	out := make([]string, len(list))
	for i, h := range list {
		out[i] = h.String()
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tlogcheck:", err)
	os.Exit(2)
}

// c2spPath is Go's tile path without its height element: tile/8/L/N -> tile/L/N.
func c2spPath(t tlog.Tile) string {
	return strings.Replace(t.Path(), "tile/8/", "tile/", 1)
}

// ourTiles serves the tiles of the request to tlog.TileHashReader.
type ourTiles map[string]string

func (t ourTiles) Height() int { return 8 }

func (t ourTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		s, ok := t[c2spPath(tile)]
		if !ok {
			return nil, fmt.Errorf("no tile %s", c2spPath(tile))
		}
		data, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (t ourTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fail(err)
	}
	ans := answer{Results: map[string]string{}, CheckpointTx: map[string]string{},
		GoTiles: map[string]string{}, GoRoots: map[string]string{}}

	// Our checkpoints through note.Open with our verifier key.
	verifier, err := note.NewVerifier(req.Vkey)
	ans.Results["vkey"] = errText(err)
	if err == nil {
		for name, cp := range req.Checkpoints {
			n, err := note.Open([]byte(cp), note.VerifierList(verifier))
			ans.Results["checkpoint:"+name] = errText(err)
			if err == nil {
				ans.CheckpointTx[name] = n.Text
			}
		}
	}

	// Our proofs through CheckRecord and CheckTree.
	for _, p := range req.Inclusion {
		err := tlog.CheckRecord(hashes(p.Proof), p.Size, hash(p.Root), p.Index, hash(p.Leaf))
		ans.Results["inclusion:"+p.Name] = errText(err)
	}
	for _, p := range req.Consistency {
		err := tlog.CheckTree(hashes(p.Proof), p.NewSize, hash(p.NewRoot), p.OldSize, hash(p.OldRoot))
		ans.Results["consistency:"+p.Name] = errText(err)
	}

	// Go's own tree over the same leaf hashes.
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x >= int64(len(stored)) {
				return nil, fmt.Errorf("no stored hash %d", x)
			}
			out[i] = stored[x]
		}
		return out, nil
	})
	leafHashes := req.LeafHashes
	for _, r := range req.Records {
		data, err := base64.StdEncoding.DecodeString(r)
		if err != nil {
			fail(err)
		}
		h := tlog.RecordHash(data)
		ans.RecordHashes = append(ans.RecordHashes, h.String())
		leafHashes = append(leafHashes, h.String())
	}
	for i, s := range leafHashes {
		more, err := tlog.StoredHashesForRecordHash(int64(i), hash(s), reader)
		if err != nil {
			fail(err)
		}
		stored = append(stored, more...)
	}
	size := int64(len(leafHashes))
	for _, n := range append(req.GoSizes, size) {
		root, err := tlog.TreeHash(n, reader)
		if err != nil {
			fail(err)
		}
		ans.GoRoots[strconv.FormatInt(n, 10)] = root.String()
	}
	for _, tile := range tlog.NewTiles(8, 0, req.TileSize) {
		data, err := tlog.ReadTileData(tile, reader)
		if err != nil {
			fail(err)
		}
		ans.GoTiles[c2spPath(tile)] = base64.StdEncoding.EncodeToString(data)
	}

	for _, t := range req.PathTiles {
		tile := tlog.Tile{H: 8, L: int(t[0]), N: t[1], W: int(t[2])}
		ans.GoPaths = append(ans.GoPaths, c2spPath(tile))
	}

	// Our tiles through tlog.TileHashReader, which checks them against the tree hash.
	if req.TileSize > 0 {
		root, _ := tlog.TreeHash(req.TileSize, reader)
		tr := tlog.TileHashReader(tlog.Tree{N: req.TileSize, Hash: root}, ourTiles(req.Tiles))
		got, err := tlog.TreeHash(req.TileSize, tr)
		if err == nil && got != root {
			err = fmt.Errorf("tree hash from tiles %v, want %v", got, root)
		}
		if err == nil {
			var p tlog.RecordProof
			p, err = tlog.ProveRecord(req.TileSize, req.TileSize/3, tr)
			if err == nil {
				err = tlog.CheckRecord(p, req.TileSize, root, req.TileSize/3, stored[tlog.StoredHashIndex(0, req.TileSize/3)])
			}
		}
		ans.Results["tiles"] = errText(err)
	}

	// Go's proofs and a checkpoint Go signs, for our code to verify.
	for _, pair := range req.GoInclusion {
		p, err := tlog.ProveRecord(pair[1], pair[0], reader)
		if err != nil {
			fail(err)
		}
		ans.GoInclusion = append(ans.GoInclusion, proved{pair[0], pair[1], b64(p)})
	}
	for _, pair := range req.GoConsist {
		p, err := tlog.ProveTree(pair[1], pair[0], reader)
		if err != nil {
			fail(err)
		}
		ans.GoConsistent = append(ans.GoConsistent, proved{pair[0], pair[1], b64(p)})
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, req.GoOrigin)
	if err != nil {
		fail(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail(err)
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", req.GoOrigin, size, ans.GoRoots[strconv.FormatInt(size, 10)])
	signed, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		fail(err)
	}
	ans.GoVkey = vkey
	ans.GoCheckpoint = string(signed)

	if err := json.NewEncoder(os.Stdout).Encode(ans); err != nil {
		fail(err)
	}
}
