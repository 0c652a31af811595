"""Trust in a shared reference set: a forged set whose checksum was recomputed beside its rows passes
the set's own check, and is rejected against a checksum or a key published apart from it; a damaged
manifest is one line, never a traceback."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from imputebench import cli
from imputebench.gates.reference import file_sha256, find_reference, reference_names

REPO = Path(__file__).resolve().parent.parent
SHIPPED = "paper-v1"  # the smaller shipped set (0.2 MB) stands for a set someone shares


@pytest.fixture
def shared_set(tmp_path) -> Path:
    """A copy of a shipped set, as a user downloads one: its manifest's path names it."""
    src = find_reference(SHIPPED)
    for path in (src.manifest_path, src.rows_path):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / src.manifest_path.name


def forge(manifest: Path) -> None:
    """What a forger does: better numbers for one imputer, and the rows' checksum recomputed in the
    manifest so that the set still checks against itself."""
    ref = find_reference(str(manifest))
    rows = ref.rows()
    rows.loc[rows["imputer"] == "mean", "rmse"] *= 0.5
    pq.write_table(pq.read_table(ref.rows_path).from_pandas(rows, schema=pq.read_schema(ref.rows_path)), ref.rows_path)
    meta = json.loads(manifest.read_text())
    meta["rows_sha256"] = file_sha256(ref.rows_path)
    meta["rows_bytes"] = ref.rows_path.stat().st_size
    manifest.write_text(json.dumps(meta, indent=1))


def keypair(folder: Path, name: str) -> tuple[Path, Path]:
    """An Ed25519 key pair in OpenSSH format (what `ssh-keygen -t ed25519` writes), made for the test."""
    pytest.importorskip("cryptography", reason="signatures need the trust extra (cryptography)")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    private, public = folder / name, folder / f"{name}.pub"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                     serialization.PublicFormat.OpenSSH) + b" publisher\n")
    return private, public


def verify(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(["reference", "verify", *args, "--sample", "0"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_forged_set_passes_its_own_checksum_and_fails_the_published_one(shared_set, capsys):
    published = find_reference(str(shared_set)).set_sha256  # what the release notes print
    code, out = verify(capsys, str(shared_set), "--checksum", published.upper())
    assert code == 0 and f"checksum: matches the published sha256 {published}" in out

    forge(shared_set)
    assert cli.main(["reference", "info", str(shared_set)]) == 0  # self-consistent: its own checksum cannot tell
    capsys.readouterr()
    code, out = verify(capsys, str(shared_set))
    assert code == 0 and out.startswith("unchecked: the rows match the set's own manifest")
    assert "not a forged set" in out
    code, out = verify(capsys, str(shared_set), "--checksum", published)
    assert code == 1 and "checksum: the set's sha256 is" in out and "this is not the published set" in out


def test_a_forged_set_fails_the_publishers_key_even_when_re_signed(shared_set, tmp_path, capsys):
    private, public = keypair(tmp_path, "publisher")
    assert cli.main(["reference", "sign", str(shared_set), "--key", str(private)]) == 0
    signed = capsys.readouterr().out
    assert signed.startswith(f"signed {SHIPPED} (set sha256 ") and shared_set.with_suffix(".sig").is_file()
    key_id = re.search(r"key ID (SHA256:\S+):", signed).group(1)

    # The publisher's key, as a file or as the text a README prints.
    for key in (str(public), public.read_text().strip()):
        code, out = verify(capsys, str(shared_set), "--public-key", key)
        assert code == 0 and out.startswith(f"signature: verified with key ID {key_id} (signed ")
    assert cli.main(["reference", "info", str(shared_set)]) == 0
    assert f"signature  {SHIPPED}.sig by key ID {key_id}" in capsys.readouterr().out
    assert cli.main(["reference", "list"]) == 0  # the shipped sets are not signed
    assert "signed" not in capsys.readouterr().out

    forge(shared_set)
    code, out = verify(capsys, str(shared_set), "--public-key", str(public))
    assert code == 1 and "signature: does not match the set" in out

    forger_private, forger_public = keypair(tmp_path, "forger")
    assert cli.main(["reference", "sign", str(shared_set), "--key", str(forger_private)]) == 0
    capsys.readouterr()
    code, out = verify(capsys, str(shared_set), "--public-key", str(forger_public))
    assert code == 0  # the forger's own key verifies the forger's set: trust is in which key was published
    code, out = verify(capsys, str(shared_set), "--public-key", str(public))
    assert code == 1 and f"not with the published key {key_id}: this is not the publisher's set" in out

    shared_set.with_suffix(".sig").unlink()
    code, out = verify(capsys, str(shared_set), "--public-key", str(public))
    assert code == 1 and f"signature: none: {SHIPPED}.sig is not beside the set" in out


def test_rows_edited_after_signing_are_rejected(shared_set, tmp_path, capsys):
    private, public = keypair(tmp_path, "publisher")
    assert cli.main(["reference", "sign", str(shared_set), "--key", str(private)]) == 0
    rows = shared_set.with_suffix(".parquet")
    data = bytearray(rows.read_bytes())
    data[len(data) // 2] ^= 0xFF  # the manifest is untouched, so the signature still matches it
    rows.write_bytes(bytes(data))
    code, out = verify(capsys, str(shared_set), "--public-key", str(public))
    assert code == 1 and "the manifest is the signed one, but" in out and "damaged or was edited" in out


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="OpenSSH's ssh-keygen is not installed")
def test_a_key_made_by_ssh_keygen_signs_and_its_id_is_the_openssh_fingerprint(shared_set, tmp_path, capsys,
                                                                                monkeypatch):
    pytest.importorskip("cryptography", reason="signatures need the trust extra (cryptography)")
    pytest.importorskip("bcrypt", reason="a key with a passphrase needs the trust extra (bcrypt)")
    locked = tmp_path / "locked"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", str(locked)], check=True)
    monkeypatch.delenv("IMPUTEBENCH_KEY_PASSPHRASE", raising=False)
    assert cli.main(["reference", "sign", str(shared_set), "--key", str(locked)]) == 2
    err = capsys.readouterr().err.strip()
    assert "set $IMPUTEBENCH_KEY_PASSPHRASE" in err and len(err.splitlines()) == 1, err
    monkeypatch.setenv("IMPUTEBENCH_KEY_PASSPHRASE", "secret")
    assert cli.main(["reference", "sign", str(shared_set), "--key", str(locked)]) == 0
    monkeypatch.delenv("IMPUTEBENCH_KEY_PASSPHRASE")
    capsys.readouterr()

    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "publisher", "-f", str(key)], check=True)
    fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", f"{key}.pub"], check=True, capture_output=True,
                                 text=True).stdout.split()[1]
    assert cli.main(["reference", "sign", str(shared_set), "--key", str(key)]) == 0
    assert f"with key ID {fingerprint}:" in capsys.readouterr().out
    code, out = verify(capsys, str(shared_set), "--public-key", f"{key}.pub")
    assert code == 0 and f"verified with key ID {fingerprint}" in out


@pytest.mark.parametrize("args, message", [
    (["--checksum", "abc"], "64 hex digits"),
    (["--public-key", "not a key"], "is neither a public key file nor a key's text"),
])
def test_bad_published_values_are_one_line(shared_set, capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        code = cli.main(["reference", "verify", str(shared_set), "--sample", "0", *args])
        raise SystemExit(code)
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and message in err and len(err.splitlines()) == 1


def test_readme_publishes_the_shipped_sets_checksums():
    readme = (REPO / "README.md").read_text()
    published = dict(re.findall(r"`(\S+-v\d+)` set sha256 `([0-9a-f]{64})`", readme))
    assert set(published) == set(reference_names())
    for name, checksum in published.items():
        assert find_reference(name).set_sha256 == checksum, f"README's checksum of {name} is stale"


# -- the manifest's schema ---------------------------------------------------------------------------
@pytest.mark.parametrize("field, value, message", [
    ("rows_file", "/tmp/elsewhere/paper-v1.parquet", "field 'rows_file' must be the name of a file beside the manifest"),
    ("rows_file", "../paper-v1.parquet", "field 'rows_file' must be the name of a file"),
    ("rows_file", "sub\\paper-v1.parquet", "field 'rows_file' must be the name of a file"),
    ("rows_sha256", "not-hex", "field 'rows_sha256' must be a SHA-256 in hex"),
    ("n_rows", "1660", "field 'n_rows' must be a whole number of rows; it holds '1660'"),
    ("grid", {"datasets": ["iris"]}, "field 'grid' must be an object with the lists datasets, imputers"),
    ("masks", {"k": "zz"}, "field 'masks' must be an object of mask key -> mask checksum"),
    ("profile", None, "field 'profile' is missing"),
])
def test_a_manifest_off_its_schema_is_one_line(shared_set, capsys, field, value, message):
    meta = json.loads(shared_set.read_text())
    if value is None:
        del meta[field]
    else:
        meta[field] = value
    shared_set.write_text(json.dumps(meta))
    for command in (["reference", "info", str(shared_set)], ["reference", "verify", str(shared_set), "--sample", "0"],
                    ["run", "--imputers", "mean", "--reference", str(shared_set), "--results", str(shared_set.parent / "r")]):
        assert cli.main(command) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"imputebench: error: reference manifest {shared_set} is damaged or was edited: ")
        assert message in err and len(err.splitlines()) == 1, err


def test_shipped_manifests_follow_the_schema():
    from imputebench.gates.reference.schema import manifest_problem

    for name in reference_names():
        assert manifest_problem(find_reference(name).manifest) is None
