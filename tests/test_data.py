"""Data loaders (files written here in each format's exact layout), splits, normalization, batches."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from nasx.data import Augment, Batches, cutout, decode, load_dataset, make_augment, random_crop, read_idx
from nasx.data.fashion import DEBIAN_DIR
from nasx.errors import NasxError


def _idx_bytes(arr: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(np.uint8).tobytes()


def _write_idx(folder: Path, n_train=30, n_test=10, gz=True, size=12):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    ext = ".gz" if gz else ""
    for split, n in (("train", n_train), ("t10k", n_test)):
        files = {f"{split}-images-idx3-ubyte{ext}": rng.integers(0, 256, (n, size, size)),
                 f"{split}-labels-idx1-ubyte{ext}": np.arange(n) % 10}
        for name, arr in files.items():
            data = _idx_bytes(np.asarray(arr))
            (folder / name).write_bytes(gzip.compress(data) if gz else data)
    return folder


@pytest.mark.parametrize("gz", [True, False])
def test_idx_loader(tmp_path, gz):
    ds = load_dataset(f"idx:{_write_idx(tmp_path / 'mnist', gz=gz)}")
    assert ds.input_shape == (1, 12, 12) and ds.num_classes == 10
    assert len(ds.y_train) + len(ds.y_val) == 30 and len(ds.y_test) == 10
    assert ds.augment.policy == "crop" and not ds.augment.flip  # digits are chiral


def test_idx_errors(tmp_path):
    folder = _write_idx(tmp_path / "m", gz=False)
    (folder / "train-labels-idx1-ubyte").write_bytes(_idx_bytes(np.arange(29) % 10))
    with pytest.raises(NasxError, match="30 images but 29 labels"):
        decode(f"idx:{folder}")
    (folder / "bad").write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(NasxError, match="truncated IDX header"):
        read_idx(folder / "bad")
    (folder / "short").write_bytes(_idx_bytes(np.zeros((4, 3, 3)))[:-5])
    with pytest.raises(NasxError, match="header says"):
        read_idx(folder / "short")
    with pytest.raises(NasxError, match="missing train-images"):
        decode(f"idx:{tmp_path}")


def _cifar_batch(path: Path, n: int, key: str, seed: int, classes: int):
    rng = np.random.default_rng(seed)
    d = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), key.encode(): list(rng.integers(0, classes, n))}
    path.write_bytes(pickle.dumps(d))


def test_cifar10_and_100(tmp_path):
    c10 = tmp_path / "cifar-10-batches-py"
    c10.mkdir()
    for i in range(1, 6):
        _cifar_batch(c10 / f"data_batch_{i}", 8, "labels", i, 10)
    _cifar_batch(c10 / "test_batch", 6, "labels", 9, 10)
    ds = load_dataset(f"cifar10:{c10}")
    assert ds.input_shape == (3, 32, 32) and ds.num_classes == 10 and len(ds.y_test) == 6
    assert len(ds.y_train) + len(ds.y_val) == 40 and ds.augment == make_augment("crop+flip", (32, 32))
    c100 = tmp_path / "cifar-100-python"
    c100.mkdir()
    _cifar_batch(c100 / "train", 20, "fine_labels", 1, 100)
    _cifar_batch(c100 / "test", 5, "fine_labels", 2, 100)
    ds = load_dataset(f"cifar100:{c100}")
    assert ds.num_classes == 100 and len(ds.y_test) == 5
    (c10 / "data_batch_3").unlink()
    with pytest.raises(NasxError, match="data_batch_3"):
        decode(f"cifar10:{c10}")


def test_npz_loader(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 6, 6, 3), dtype=np.uint8)
    np.savez(tmp_path / "a.npz", x=x, y=np.arange(40) % 4)
    ds = load_dataset(f"npz:{tmp_path / 'a.npz'}")
    assert ds.input_shape == (3, 6, 6) and ds.num_classes == 4 and len(ds.y_test) == 8  # 20% carved
    np.savez(tmp_path / "b.npz", x=rng.random((30, 5, 5)), y=np.arange(30) % 3,
             x_test=rng.random((7, 5, 5)), y_test=np.arange(7) % 3)
    ds = load_dataset(f"npz:{tmp_path / 'b.npz'}")
    assert ds.input_shape == (1, 5, 5) and len(ds.y_test) == 7
    np.savez(tmp_path / "c.npz", x=x, y=np.arange(39))
    with pytest.raises(NasxError, match="40 images but 39 labels"):
        decode(f"npz:{tmp_path / 'c.npz'}")
    np.savez(tmp_path / "d.npz", images=x)
    with pytest.raises(NasxError, match="'x' and 'y'"):
        decode(f"npz:{tmp_path / 'd.npz'}")


@pytest.mark.parametrize("layout", ["split", "single"])
def test_folder_loader(tmp_path, layout):
    from PIL import Image

    rng = np.random.default_rng(0)
    roots = {"split": ["train", "test"], "single": [""]}[layout]
    for sub in roots:
        for cls in ("cat", "dog", "eel"):
            d = tmp_path / sub / cls
            d.mkdir(parents=True)
            for i in range(5 if sub != "test" else 2):
                Image.fromarray(rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)).save(d / f"{i}.png")
    ds = load_dataset(f"folder:{tmp_path}")
    assert ds.input_shape == (3, 10, 10) and ds.num_classes == 3
    assert len(ds.y_test) == (6 if layout == "split" else 3)
    assert ds.augment.flip


def test_digits_and_normalization():
    ds = load_dataset("digits")
    assert ds.input_shape == (1, 8, 8) and ds.num_classes == 10 and ds.augment.policy == "none"
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 1797
    assert ds.x_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert abs(float(ds.x_train.mean())) < 1e-4 and abs(float(ds.x_train.std()) - 1) < 1e-3
    assert abs(float(ds.x_val.mean())) > 1e-6  # val/test use the train statistics, not their own


@pytest.mark.skipif(not Path(DEBIAN_DIR).is_dir(), reason="apt-get install dataset-fashion-mnist for this test")
def test_fashion_mnist():
    ds = load_dataset("fashion-mnist", max_train=500)
    assert ds.input_shape == (1, 28, 28) and ds.num_classes == 10
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (500, 6000, 10000)


def test_fashion_missing_message(tmp_path):
    with pytest.raises(NasxError, match="apt-get install dataset-fashion-mnist"):
        decode(f"fashion-mnist:{tmp_path / 'nowhere'}")


@pytest.mark.parametrize("spec,match", [("nope:/x", "unknown data scheme"), ("npz:", "needs a path"),
                                        ("npz:/no/such.npz", "does not exist"), ("", "empty")])
def test_bad_specs(spec, match):
    with pytest.raises(NasxError, match=match):
        load_dataset(spec)


def _ids(tmp_path, n=100):
    x = np.zeros((n, 4, 4), dtype=np.float32)
    x[:, 0, 0] = np.arange(n)
    np.savez(tmp_path / "ids.npz", x=x, y=np.arange(n) % 5)
    return f"npz:{tmp_path / 'ids.npz'}"


def _decode_ids(ds, t):
    return set(np.round(t[:, 0, 0, 0].numpy() * ds.std[0] + ds.mean[0]).astype(int).tolist())


def test_split_determinism_and_disjointness(tmp_path):
    spec = _ids(tmp_path)
    a, b, c = load_dataset(spec, seed=0), load_dataset(spec, seed=0), load_dataset(spec, seed=1)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.x_val, b.x_val)
    tr, va, te = (_decode_ids(a, t) for t in (a.x_train, a.x_val, a.x_test))
    assert not (tr & va) and not (tr & te) and not (va & te) and len(tr | va | te) == 100
    assert _decode_ids(c, c.x_test) == te  # the carved test split does not move with the seed
    assert _decode_ids(c, c.x_val) != va
    small = _decode_ids(a, load_dataset(spec, max_train=20).x_train)
    assert len(small) == 20 and small <= tr and small <= _decode_ids(a, load_dataset(spec, max_train=40).x_train)


def test_random_crop_is_a_shifted_window():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8)
    g = torch.Generator().manual_seed(0)
    out = random_crop(x, 2, g)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    assert out.shape == x.shape
    for i in range(2):
        windows = [padded[i, :, r:r + 8, c:c + 8] for r in range(5) for c in range(5)]
        assert any(torch.equal(out[i], w) for w in windows)


def test_augment_shapes_and_determinism():
    x = torch.randn(16, 3, 12, 12)
    aug = Augment(pad=2, flip=True, policy="crop+flip")
    a = aug(x, torch.Generator().manual_seed(3))
    b = aug(x, torch.Generator().manual_seed(3))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, x)
    flip_only = Augment(flip=True)(x, torch.Generator().manual_seed(0))
    assert all(torch.equal(f, o) or torch.equal(f, o.flip(2)) for f, o in zip(flip_only, x, strict=True))


def _square_of(zeroed: torch.Tensor) -> tuple[int, int]:
    rows, cols = zeroed.any(1).nonzero().flatten(), zeroed.any(0).nonzero().flatten()
    assert torch.equal(zeroed[rows.min():rows.max() + 1, cols.min():cols.max() + 1],
                       torch.ones(len(rows), len(cols), dtype=torch.bool))  # one solid rectangle
    assert rows.max() - rows.min() + 1 == len(rows) and cols.max() - cols.min() + 1 == len(cols)
    return len(rows), len(cols)


def test_cutout_zeroes_one_clipped_square_per_image_at_a_uniform_centre():
    n, size = 4000, 4
    x = torch.ones(n, 3, 10, 10)
    out = cutout(x, size, torch.Generator().manual_seed(0))
    zeroed = out == 0
    assert torch.equal(zeroed[:, 0], zeroed[:, 2])  # the same square in every channel
    sides = [_square_of(z) for z in zeroed[:, 0]]
    assert all(1 <= r <= size and 1 <= c <= size for r, c in sides)
    assert 0.44 < sum(r == c == size for r, c in sides) / n < 0.54  # whole when centres 2..8 of 10 on both axes: 0.49
    # every pixel is a centre equally often: the zeroed area per row follows the clipped-square law
    per_row = zeroed[:, 0].any(2).float().mean(0)  # P(row r is cut) = (#centres within reach) / 10
    expected = torch.tensor([min(r + 2, 9) - max(r - 1, 0) + 1 for r in range(10)], dtype=torch.float32) / 10
    assert torch.allclose(per_row, expected, atol=0.04)
    again = cutout(x, size, torch.Generator().manual_seed(0))
    assert torch.equal(out, again) and torch.equal(x, torch.ones_like(x))  # seeded, not in place


def test_cutout_runs_after_crop_and_flip_on_training_batches_only():
    ds = load_dataset("digits")
    plain = next(iter(ds.batches("train", 64, train=True, seed=5)))[0]
    cut = next(iter(ds.batches("train", 64, train=True, seed=5, cutout=3)))[0]
    assert torch.equal(plain.masked_fill(cut == 0, 0), cut)  # the crop draws did not move: cutout comes last
    assert ((cut == 0) & (plain != 0)).any() and Augment(cutout=3).active
    val = next(iter(ds.batches("val", 64, cutout=3)))[0]
    assert torch.equal(val, ds.x_val[:64])
    with pytest.raises(NasxError, match="cutout 9 px is larger than the 8x8 images"):
        ds.batches("train", 64, train=True, cutout=9)


def test_batches_epochs():
    x, y = torch.arange(10.0).reshape(10, 1, 1, 1), torch.arange(10)
    b = Batches(x, y, 4, shuffle=True, seed=0)
    e1, e2 = [yb.tolist() for _, yb in b], [yb.tolist() for _, yb in b]
    assert sorted(v for batch in e1 for v in batch) == list(range(10)) and e1 != e2
    again = [yb.tolist() for _, yb in Batches(x, y, 4, shuffle=True, seed=0)]
    assert again == e1
    assert len(Batches(x, y, 4, drop_last=True)) == 2 and len(Batches(x, y, 4)) == 3
    assert [len(yb) for _, yb in Batches(x, y, 16, drop_last=True)] == [10]  # smaller than a batch: kept
