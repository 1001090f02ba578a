"""nasx.text: the bundled Shakespeare corpus, user text files and folders, vocabularies, LM batches."""

import lzma
import random

import pytest
import torch

from nasx.errors import NasxError
from nasx.text import EOS, UNK, batchify, corpus_names, get_batch, load_corpus
from nasx.text.loaders import BUNDLED


def _raw(split):
    return lzma.decompress((BUNDLED / f"shakespeare.{split}.txt.xz").read_bytes()).decode("utf-8")


def _words(n_lines, seed=0, words_per_line=8):
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(50)]
    return "".join(" ".join(rng.choice(vocab) for _ in range(words_per_line)) + "\n" for _ in range(n_lines))


def _one_line_error(match, *args, **kw):
    with pytest.raises(NasxError, match=match) as e:
        load_corpus(*args, **kw)
    assert "\n" not in str(e.value)
    return str(e.value)


def test_bundled_char_corpus_is_whole_plays_with_held_out_plays():
    c = load_corpus("shakespeare")
    assert c.name == "shakespeare" and c.level == "char"
    n = (len(c.train), len(c.valid), len(c.test))
    assert 4_500_000 <= sum(n) <= 5_000_000 and n[0] / sum(n) > 0.95
    assert all(90_000 <= k <= 110_000 for k in n[1:])  # one play each: evaluation stays quick
    raw = {s: _raw(s) for s in ("train", "valid", "test")}
    assert c.decode(c.train) == raw["train"] and c.decode(c.valid) == raw["valid"]
    assert c.decode(c.test) == raw["test"]
    # held-out splits are other plays, not slices of the training ones
    assert raw["valid"].startswith("THE TEMPEST\n") and raw["test"].startswith("MACBETH\n")
    assert raw["train"].startswith("ALL'S WELL THAT ENDS WELL\n") and raw["train"].endswith("[Exeunt.]\n")
    assert raw["train"].count("by William Shakespeare") == 35  # every other play, and no poem
    assert "HAMLET, PRINCE OF DENMARK\n" in raw["train"] and "THE SONNETS" not in raw["train"]
    assert "THE TEMPEST" not in raw["train"] and "MACBETH\n" not in raw["train"]
    assert "Gutenberg" not in "".join(raw.values()) and "\r" not in "".join(raw.values())
    assert "".join(raw.values()).isascii()  # no accented letters, no typographic quotes
    # vocabulary from train only; with 35 plays every held-out char is a train char, so no <unk>
    # (a held-out-only char becoming <unk>: test_held_out_only_char_is_unk)
    assert set(c.vocab) == set(raw["train"]) and "\n" in c.vocab and c.vocab_size == 83
    assert set(raw["valid"]) | set(raw["test"]) <= set(raw["train"]) and c.unk is None
    assert c.train.dtype == torch.long and c.train.dim() == 1
    assert c.vocab[0] == " "  # most frequent first


def test_held_out_only_char_is_unk(tmp_path):
    d = tmp_path / "plays"
    d.mkdir()
    test = _words(60, seed=2) + "w1 X w2\n"  # X: in no train (or valid) text
    for fname, text in (("train.txt", _words(60)), ("valid.txt", _words(60, seed=1)), ("test.txt", test)):
        (d / fname).write_text(text)
    c = load_corpus(f"text:{d}")
    assert c.level == "char" and set(c.vocab) - {UNK} == set(_words(60)) and c.vocab[c.unk] == UNK
    assert "X" not in c.vocab and c.encode("w1X")[-1].item() == c.unk
    assert int((c.test == c.unk).sum()) == test.count("X") == 1
    assert c.decode(c.test) == test.replace("X", UNK) and c.decode(c.valid) == _words(60, seed=1)


def test_bundled_word_corpus_follows_the_ptb_convention():
    w = load_corpus("shakespeare", level="word")
    assert w.level == "word" and w.unk is not None and w.vocab[w.unk] == UNK
    assert w.vocab[0] == EOS  # one per line: the most frequent token
    first_lines = _raw("train").split("\n")[:3]
    assert w.decode(w.train[:10]).split("\n")[:3] == [" ".join(line.split()) for line in first_lines]
    capped = load_corpus("shakespeare", "word", vocab_size=5000)
    assert capped.vocab_size == 5000 and UNK in capped.vocab
    kept = [t for t in capped.vocab if t != UNK]
    assert kept == [t for t in w.vocab if t != UNK][:4999]  # the most frequent words, same order
    # <unk> ranks by the train tokens it stands for (here: second, after <eos>)
    assert capped.vocab.index(UNK) == 1 and int((capped.train == capped.unk).sum()) > int((capped.train == 2).sum())
    assert (capped.train == capped.unk).sum() > 0 and len(capped.train) == len(w.train)


def test_encode_decode_round_trip():
    c = load_corpus("shakespeare")
    text = "To be, or not to be: that is the question.\nHAMLET.\n"
    assert c.decode(c.encode(text)) == text
    with pytest.raises(NasxError, match="no <unk>"):  # every held-out char is a train char: no <unk>
        c.encode("a\u00e9b")
    capped = load_corpus("shakespeare", vocab_size=80)
    assert capped.decode(capped.encode("a\u00e9b")) == f"a{UNK}b"  # unseen char -> <unk>
    w = load_corpus("shakespeare", "word")
    words = "To be, or not to be:\nthat is the question.\n"
    ids = w.encode(words)
    assert ids.tolist().count(w.vocab.index(EOS)) == 2
    assert w.decode(ids) == words and w.decode(ids.tolist()) == words
    assert w.decode(w.encode("zzxqv unheard")) == f"{UNK} {UNK}\n"


def test_caching_and_max_train_tokens_keep_the_vocab():
    a = load_corpus("shakespeare")
    assert load_corpus("shakespeare", "char") is a and load_corpus(" shakespeare", level="char") is a
    small = load_corpus("shakespeare", max_train_tokens=5000)
    assert small is not a and len(small.train) == 5000 and small.vocab == a.vocab
    assert torch.equal(small.train, a.train[:5000]) and torch.equal(small.valid, a.valid)
    assert load_corpus("shakespeare", "char", None, 5000) is small
    assert corpus_names() == ["shakespeare", "text"]


def test_batchify_and_get_batch():
    ids = torch.arange(103)
    data = batchify(ids, 4)
    assert data.shape == (4, 25) and data.dtype == torch.long  # 3 trailing tokens dropped
    assert data[1].tolist() == list(range(25, 50))  # each row a contiguous stream
    x, y = get_batch(data, 0, 10)
    assert x.shape == y.shape == (4, 10) and torch.equal(y[:, :-1], x[:, 1:])
    assert torch.equal(y, data[:, 1:11]) and y.view(-1).numel() == 40
    x, y = get_batch(data, 20, 10)  # the end: shorter
    assert x.shape == (4, 4) and torch.equal(x, data[:, 20:24]) and torch.equal(y, data[:, 21:25])
    with pytest.raises(NasxError, match="at least 2"):
        batchify(torch.arange(7), 4)
    with pytest.raises(NasxError, match="no targets"):
        get_batch(data, 24, 10)
    c = load_corpus("shakespeare")
    b = batchify(c.valid, 32, device="cpu")
    assert b.shape == (32, len(c.valid) // 32)


def test_text_file_splits_90_5_5(tmp_path):
    text = _words(400)
    f = tmp_path / "story.txt"
    f.write_text(text.replace("\n", "\r\n"))  # CRLF is read as \n
    c = load_corpus(f"text:{f}")
    assert c.name == "story.txt" and c.level == "char"
    n = len(text)
    assert (len(c.train), len(c.valid), len(c.test)) == (int(n * 0.9), int(n * 0.95) - int(n * 0.9),
                                                         n - int(n * 0.95))
    assert c.decode(torch.cat([c.train, c.valid, c.test])) == text and c.unk is None
    with pytest.raises(NasxError, match="no <unk>"):
        c.encode("\u00e9")
    w = load_corpus(f"text:{f}", level="word")
    parts = [w.decode(s) for s in (w.train, w.valid, w.test)]
    assert "".join(parts) == text and all(p.endswith("\n") for p in parts)  # cut at line ends
    assert len(w.train) + len(w.valid) + len(w.test) == 400 * 9
    assert 0.85 < len(w.train) / (400 * 9) < 0.95


def test_folder_layouts_are_detected(tmp_path):
    layouts = {"plain": ("train.txt", "valid.txt", "test.txt"),
               "ptb": ("ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"),
               "wikitext-2": ("wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens")}
    for name, files in layouts.items():
        d = tmp_path / name
        d.mkdir()
        for i, fname in enumerate(files):
            (d / fname).write_text(_words(60, seed=i) + ("only_in_test w1\n" if i == 2 else ""))
        c = load_corpus(f"text:{d}", "word")
        assert c.name == name and c.decode(c.train) == _words(60, seed=0)
        assert c.decode(c.test).endswith(f"{UNK} w1\n")  # vocab from train: a test-only word is <unk>
        assert "only_in_test" not in c.vocab
    # PTB's folder also has char-level files: the word files (shortest prefix) win
    for fname in ("ptb.char.train.txt", "ptb.char.valid.txt", "ptb.char.test.txt"):
        (tmp_path / "ptb" / fname).write_text("a b c\n" * 50)
    load_corpus.cache_clear()
    c = load_corpus(f"text:{tmp_path / 'ptb'}", "word")
    assert c.decode(c.train) == _words(60, seed=0)


def test_bad_input_is_one_line(tmp_path):
    good = _words(300)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(good.encode() + "caf\u00e9\n".encode("latin-1"))
    msg = _one_line_error("not valid UTF-8", f"text:{bad}")
    assert str(bad) in msg and f"offset {len(good) + 3}" in msg and "iconv" in msg
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert str(empty) in _one_line_error("empty", f"text:{empty}")
    binary = tmp_path / "model.bin"
    binary.write_bytes(b"PK\x03\x04\x00\x00" + bytes(range(256)))
    assert "NUL byte at offset 4" in _one_line_error("binary", f"text:{binary}")
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("hello world\n" * 20)
    assert "has 12 char tokens" in _one_line_error("valid split", f"text:{tiny}")
    _one_line_error("no such file or folder", f"text:{tmp_path / 'nope.txt'}")
    d = tmp_path / "corpus"
    d.mkdir()
    _one_line_error("no corpus files; expected one of: train.txt/valid.txt/test.txt", f"text:{d}")
    (d / "ptb.train.txt").write_text(good)
    (d / "ptb.valid.txt").write_text(good)
    assert "ptb.test.txt" in _one_line_error("has ptb.train.txt but no", f"text:{d}")
    _one_line_error("unknown text level 'chars' \\(did you mean char\\?\\)", "shakespeare", "chars")
    _one_line_error("vocab_size 1 is too small", "shakespeare", vocab_size=1)
    _one_line_error("max_train_tokens 0", "shakespeare", max_train_tokens=0)
    assert "did you mean shakespeare?" in _one_line_error("unknown text corpus scheme", "shakspeare")
    _one_line_error("needs a path", "text")
    _one_line_error("takes no path", f"shakespeare:{tmp_path}")
    _one_line_error(f"write text:{d}", str(d))


def test_char_vocab_size_caps_rare_chars():
    c = load_corpus("shakespeare", vocab_size=30)
    full = load_corpus("shakespeare")
    assert c.vocab_size == 30 and c.vocab[c.unk] == UNK
    assert [t for t in c.vocab if t != UNK] == [t for t in full.vocab if t != UNK][:29]
    kept = set(c.vocab) - {UNK}
    assert int((c.train == c.unk).sum()) == sum(ch not in kept for ch in _raw("train"))
