package config

import (
	"strings"
	"testing"
	"time"
)

func TestMessageLogDefaultsAndUnits(t *testing.T) {
	cfg, err := Parse("m.yaml", []byte(`messageLog:
  rotation: {size: 64MiB, interval: 6h}
  retention:
    default: 3y
    groups: {central-server/GOV/70000001/portal: 90d}
  access:
    roles:
      - name: auditor
        actions: [ls, search]
        purposes: [audit]
`))
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.MessageLog
	if m.Rotation.Size != 64<<20 || m.Rotation.Interval != 6*time.Hour {
		t.Errorf("rotation = %+v", m.Rotation)
	}
	if m.RetentionFor("central-server/GOV/70000001/portal") != 90*24*time.Hour || m.RetentionFor("x") != 3*365*24*time.Hour {
		t.Errorf("retention = %+v", m.Retention)
	}
	if m.Batch.Size != 10000 || m.GroupBy != "none" || m.Dir == "" {
		t.Errorf("defaults lost: %+v", m)
	}
	if DefaultMessageLog().Retention.Default.String() != "3y" {
		t.Errorf("default retention %v, want 3y (Tunduk rule)", DefaultMessageLog().Retention.Default)
	}
}

func TestMessageLogDurability(t *testing.T) {
	for _, tt := range []struct {
		yaml      string
		window    time.Duration // what msglog gets (negative: off)
		queueWait time.Duration
	}{
		{"messageLog: {}\n", time.Millisecond, 2 * time.Second},
		{"messageLog:\n  durability: {groupWindow: 5ms}\n", 5 * time.Millisecond, 2 * time.Second},
		{"messageLog:\n  durability: {groupWindow: 0s, queueWait: 10s}\n", -1, 10 * time.Second},
	} {
		cfg, err := Parse("m.yaml", []byte(tt.yaml))
		if err != nil {
			t.Fatalf("%q: %v", tt.yaml, err)
		}
		o, err := cfg.MessageLog.LogOptions(nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if o.GroupWindow != tt.window || o.QueueWait != tt.queueWait {
			t.Errorf("%q: GroupWindow %v QueueWait %v, want %v %v", tt.yaml, o.GroupWindow, o.QueueWait, tt.window, tt.queueWait)
		}
	}
}

func TestMessageLogValidate(t *testing.T) {
	checkRefusals(t, "m.yaml", []refusal{
		{"groupBy", "messageLog:\n  groupBy: org\n", "m.yaml:2: messageLog.groupBy: \"org\""},
		{"period", "messageLog:\n  retention:\n    default: 3 years\n", "m.yaml:3"},
		{"short retention", "messageLog:\n  retention:\n    default: 1h\n", "messageLog.retention.default: 1h0m0s: want at least 1d"},
		{"size", "messageLog:\n  rotation:\n    size: lots\n", "size \"lots\""},
		{"same dirs", "messageLog:\n  dir: /a\n  archiveDir: /a/\n", "same as dir"},
		{"action", "messageLog:\n  access:\n    roles:\n      - name: auditor\n        actions: [delete]\n        purposes: [audit]\n", "m.yaml:5: messageLog.access.roles[0].actions: \"delete\""},
		{"no purposes", "messageLog:\n  access:\n    roles:\n      - name: auditor\n        actions: [ls]\n", "purposes: empty"},
		{"dup role", "messageLog:\n  access:\n    roles:\n      - {name: a, actions: [ls], purposes: [x]}\n      - {name: a, actions: [ls], purposes: [x]}\n", "defined twice"},
		{"collect half", "messageLog:\n  collect:\n    sourceDir: /var/lib/xroad\n", "sourceDir and targetDir go together"},
		{"tsa", "messageLog:\n  tsaUrl: tsa.local\n", "messageLog.tsaUrl"},
		{"ocsp url", "messageLog:\n  ocspUrl: ocsp.local\n  ocspIssuer: /etc/ca.pem\n", "messageLog.ocspUrl: \"ocsp.local\""},
		{"ocsp issuer", "messageLog:\n  ocspUrl: http://ocsp.local/\n", "messageLog.ocspIssuer: empty"},
		{"group window", "messageLog:\n  durability:\n    groupWindow: 2s\n", "m.yaml:3: messageLog.durability.groupWindow: 2s: want 0 (off) to 50ms"},
		{"queue wait", "messageLog:\n  durability: {queueWait: 0s}\n", "messageLog.durability.queueWait: 0s: want 1ms to 1m"},
	})
}

func TestMessageLogValidateKeys(t *testing.T) {
	m := DefaultMessageLog()
	var is Issues
	m.ValidateKeys(Keys{"other": {}}, &is)
	if len(is.list) != 0 {
		t.Fatalf("no signing key (signed log off) gave issues %+v", is.list)
	}
	m.SigningKey = "mlog"
	m.ValidateKeys(Keys{"other": {}}, &is)
	if len(is.list) != 1 || !strings.Contains(is.list[0].Msg, `"mlog" is not defined`) {
		t.Fatalf("issues = %+v", is.list)
	}
}

// Config.Validate checks the cross-section reference, with its line.
func TestSigningKeyMustNameAKey(t *testing.T) {
	_, err := Parse("m.yaml", []byte("keys:\n  other: {uri: \"file:/k.pem\"}\nmessageLog:\n  signingKey: mlog\n"))
	if err == nil || !strings.Contains(err.Error(), `m.yaml:4: messageLog.signingKey: key "mlog" is not defined`) {
		t.Fatalf("Parse = %v", err)
	}
}
