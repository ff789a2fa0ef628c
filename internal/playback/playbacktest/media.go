package playbacktest

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/Eyevinn/mp4ff/mp4"
)

// ClipSeconds is the length of the generated clip: long enough to play
// past 3 s, short enough to package in well under a second.
const ClipSeconds = 6

// fps and gop give one keyframe, hence one fragment and segment, a second.
const fps, gop = 25, 25

// MakeClip writes a generated test pattern (H.264, 320x240, no audio) as
// fragmented MP4, one fragment per second, to dir/clip.mp4.
func MakeClip(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "clip.mp4")
	err := ffmpeg(ctx, "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=320x240:rate=%d:duration=%d", fps, ClipSeconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "main", "-pix_fmt", "yuv420p", "-crf", "30",
		"-g", fmt.Sprint(gop), "-keyint_min", fmt.Sprint(gop), "-sc_threshold", "0",
		"-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", out)
	return out, err
}

func ffmpeg(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// PackageDASH encrypts clip (CENC, mp4ff) with the answer's key and KID
// and writes dir/init.mp4, dir/seg-N.m4s and dir/manifest.mpd. The
// manifest's ContentProtection for the common system holds the answer's
// ContentProtectionData as it came (pssh and license URL); the init
// segment carries no pssh, so the manifest is the players' only source of
// init data and license URL.
func PackageDASH(clip, dir string, a *Answer) error {
	f, err := os.Open(clip)
	if err != nil {
		return err
	}
	defer f.Close()
	in, err := mp4.DecodeFile(f)
	if err != nil {
		return fmt.Errorf("mp4ff decode: %w", err)
	}
	if in.Init == nil || len(in.Segments) == 0 {
		return fmt.Errorf("%s is not fragmented MP4", clip)
	}
	trak := in.Init.Moov.Trak
	avcx := trak.Mdia.Minf.Stbl.Stsd.AvcX
	if avcx == nil || avcx.AvcC == nil {
		return fmt.Errorf("%s: no avc1 sample entry", clip)
	}
	codecs := fmt.Sprintf("avc1.%02X%02X%02X", avcx.AvcC.AVCProfileIndication, avcx.AvcC.ProfileCompatibility, avcx.AvcC.AVCLevelIndication)
	width, height := avcx.Width, avcx.Height
	timescale := trak.Mdia.Mdhd.Timescale
	var trex *mp4.TrexBox
	if in.Init.Moov.Mvex != nil {
		trex = in.Init.Moov.Mvex.Trex
	}

	key := a.Key.Reveal()
	kid, err := mp4.NewUUIDFromString(a.KID.Hex())
	if err != nil {
		return err
	}
	iv := []byte("playback") // 8-byte per-sample IV start; not secret
	ipd, err := mp4.InitProtect(in.Init, key[:], iv, "cenc", kid, nil)
	if err != nil {
		return fmt.Errorf("mp4ff init protect: %w", err)
	}
	var buf bytes.Buffer
	if err := in.Init.Encode(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "init.mp4"), buf.Bytes(), 0o644); err != nil {
		return err
	}
	enc, err := ipd.NewFragmentEncryptor(key[:], iv)
	if err != nil {
		return err
	}
	n := 0
	var segs strings.Builder
	var total uint64
	for _, s := range in.Segments {
		for _, frag := range s.Fragments {
			dur, err := fragmentDuration(frag, trex)
			if err != nil {
				return err
			}
			total += dur
			if err := enc.EncryptFragment(frag); err != nil {
				return fmt.Errorf("mp4ff encrypt: %w", err)
			}
			buf.Reset()
			if err := frag.Encode(&buf); err != nil {
				return err
			}
			n++
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seg-%d.m4s", n)), buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(&segs, "          <S d=\"%d\"/>\n", dur)
		}
	}
	mpd := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:cenc="urn:mpeg:cenc:2013" type="static" profiles="urn:mpeg:dash:profile:isoff-live:2011" minBufferTime="PT2S" mediaPresentationDuration="PT%.3fS">
  <Period id="p0" start="PT0S">
    <AdaptationSet contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1">
      <ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc" cenc:default_KID="%s"/>
      <ContentProtection schemeIdUri="urn:uuid:%s" value="ClearKey1.0">%s</ContentProtection>
      <Representation id="video" bandwidth="400000" codecs="%s" width="%d" height="%d" frameRate="%d">
        <SegmentTemplate timescale="%d" initialization="init.mp4" media="seg-$Number$.m4s" startNumber="1">
          <SegmentTimeline>
%s          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
`, float64(total)/float64(timescale), a.KID, SystemCommon, a.CPD, codecs, width, height, fps, timescale, segs.String())
	return os.WriteFile(filepath.Join(dir, "manifest.mpd"), []byte(mpd), 0o644)
}

func fragmentDuration(f *mp4.Fragment, trex *mp4.TrexBox) (uint64, error) {
	samples, err := f.GetFullSamples(trex)
	if err != nil {
		return 0, fmt.Errorf("mp4ff samples: %w", err)
	}
	var d uint64
	for _, s := range samples {
		d += uint64(s.Dur)
	}
	return d, nil
}

// PackageHLS packages clip as HLS with AES-128 (ffmpeg, MPEG-TS segments
// of a second): the key tag's URI is the one the answer signals, the IV
// the answer's explicitIV. It writes dir/index.m3u8 and dir/seg-N.ts.
func PackageHLS(ctx context.Context, clip, dir string, a *Answer) error {
	uri, err := a.KeyURI()
	if err != nil {
		return err
	}
	if len(a.IV) != 16 {
		return fmt.Errorf("the answer has no 16-byte explicitIV")
	}
	// ffmpeg reads the key from a file; it lives outside the served dir.
	keyDir, err := os.MkdirTemp("", "hlskey-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(keyDir)
	key := a.Key.Reveal()
	keyFile := filepath.Join(keyDir, "key.bin")
	if err := os.WriteFile(keyFile, key[:], 0o600); err != nil {
		return err
	}
	info := filepath.Join(keyDir, "keyinfo")
	if err := os.WriteFile(info, []byte(uri+"\n"+keyFile+"\n"+hex.EncodeToString(a.IV)+"\n"), 0o600); err != nil {
		return err
	}
	return ffmpeg(ctx, "-i", clip, "-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod",
		"-hls_key_info_file", info, "-hls_segment_filename", filepath.Join(dir, "seg-%d.ts"), filepath.Join(dir, "index.m3u8"))
}
