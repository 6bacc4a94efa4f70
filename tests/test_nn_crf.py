"""The linear-chain CRF against brute-force enumeration of every tag path on tiny inputs."""

from __future__ import annotations

import itertools

import pytest
import torch

from embedlayer.errors import ConfigError
from embedlayer.nn.crf import CRF, FORBIDDEN


def _crf(k: int, seed: int = 0, **constraints) -> CRF:
    torch.manual_seed(seed)
    crf = CRF(k, **constraints).double()
    with torch.no_grad():  # larger scores than the initial +-0.1, so paths differ clearly
        crf.transitions.normal_()
        crf.start.normal_()
        crf.end.normal_()
    return crf


def _path_score(crf: CRF, emissions: torch.Tensor, path) -> float:
    """One path's score written out from the definition (constraints included)."""
    trans, start, end = (x.detach() for x in crf._scores())
    s = start[path[0]] + emissions[0, path[0]]
    for t in range(1, len(path)):
        s = s + trans[path[t - 1], path[t]] + emissions[t, path[t]]
    return float(s + end[path[-1]])


def _brute(crf: CRF, emissions: torch.Tensor, length: int):
    """(log-partition, best path) of one sequence by enumerating all K ** length paths."""
    k = emissions.shape[1]
    scores = {p: _path_score(crf, emissions, p)
              for p in itertools.product(range(k), repeat=length)}
    log_z = torch.logsumexp(torch.tensor(list(scores.values()), dtype=torch.float64), 0)
    return float(log_z), list(max(scores, key=scores.get))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_forward_and_viterbi_equal_brute_force(k):
    crf = _crf(k, seed=k)
    torch.manual_seed(10 + k)
    lengths = [4, 1, 3, 2]
    emissions = torch.randn(len(lengths), 4, k, dtype=torch.float64)
    mask = torch.arange(4).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    log_z = crf.log_partition(emissions, mask)
    best = crf.decode(emissions, mask)
    for row, n in enumerate(lengths):
        ref_z, ref_path = _brute(crf, emissions[row, :n], n)
        assert float(log_z[row].detach()) == pytest.approx(ref_z, abs=1e-9)
        assert best[row, :n].tolist() == ref_path
        assert best[row, n:].tolist() == [-1] * (4 - n)


def test_score_and_likelihood_of_every_path():
    crf = _crf(3, seed=4)
    emissions = torch.randn(1, 3, 3, dtype=torch.float64)
    mask = torch.ones(1, 3, dtype=torch.bool)
    total = 0.0
    for path in itertools.product(range(3), repeat=3):
        tags = torch.tensor([path])
        assert float(crf.score(emissions, tags, mask).detach()) == pytest.approx(
            _path_score(crf, emissions[0], path), abs=1e-9)
        total += float(torch.exp(-crf.neg_log_likelihood(emissions, tags, mask)).detach())
    assert total == pytest.approx(1.0, abs=1e-9)  # the probabilities of all paths sum to 1


def test_padded_steps_change_nothing():
    crf = _crf(3, seed=5)
    emissions = torch.randn(1, 3, 3, dtype=torch.float64)
    tags = torch.tensor([[2, 0, 1]])
    short = (emissions, tags, torch.ones(1, 3, dtype=torch.bool))
    # the same sequence padded with 4 steps of huge, random scores and arbitrary tags
    noise = 1e3 * torch.randn(1, 4, 3, dtype=torch.float64)
    long = (torch.cat([emissions, noise], dim=1), torch.cat([tags, torch.tensor([[1, 2, 0, 2]])], 1),
            torch.tensor([[True] * 3 + [False] * 4]))
    assert float(crf.log_partition(long[0], long[2]).detach()) == pytest.approx(
        float(crf.log_partition(short[0], short[2]).detach()), abs=1e-9)
    assert float(crf.score(*long).detach()) == pytest.approx(float(crf.score(*short).detach()), abs=1e-9)
    assert crf.decode(long[0], long[2])[0, :3].tolist() == crf.decode(short[0], short[2])[0].tolist()
    # and no gradient flows into the padded scores
    padded = long[0].clone().requires_grad_(True)
    crf.neg_log_likelihood(padded, long[1], long[2]).sum().backward()
    assert float(padded.grad[0, 3:].abs().max()) == 0.0


def test_constraints_are_obeyed_by_viterbi_and_training():
    # tags 0 (O), 1 (B), 2 (I): I may follow only B or I, and may not start
    allowed = [[True, True, False], [True, True, True], [True, True, True]]
    crf = _crf(3, seed=6, allowed=allowed, allowed_start=[True, True, False])
    emissions = torch.zeros(8, 5, 3, dtype=torch.float64)
    emissions[:, :, 2] = 50.0  # the emissions want I everywhere
    mask = torch.ones(8, 5, dtype=torch.bool)
    for path in crf.decode(emissions, mask).tolist():
        assert path[0] != 2
        assert all(not (a == 0 and b == 2) for a, b in itertools.pairwise(path))
    assert crf.decode(emissions, mask)[0].tolist() == [1, 2, 2, 2, 2]
    # a forbidden path has (almost) no probability; its learned score gets no gradient
    bad = torch.tensor([[0, 2, 2, 2, 2]])
    nll = crf.neg_log_likelihood(emissions[:1], bad, mask[:1])
    assert float(nll.detach()) > -FORBIDDEN / 2
    crf.zero_grad()
    nll.backward()
    assert float(crf.transitions.grad[0, 2]) == 0.0 and float(crf.start.grad[2]) == 0.0


def test_constraints_survive_a_state_dict_round_trip():
    allowed = torch.tensor([[True, False], [True, True]])
    crf = CRF(2, allowed=allowed, allowed_end=[False, True])
    other = CRF(2)
    other.load_state_dict(crf.state_dict())
    assert torch.equal(other.allowed, allowed)
    assert other.allowed_end.tolist() == [False, True]


def test_bad_shapes_are_refused():
    crf = CRF(3)
    with pytest.raises(ConfigError, match="emissions must be"):
        crf.log_partition(torch.zeros(2, 4, 2), torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ConfigError, match="at least one real step"):
        crf.decode(torch.zeros(1, 2, 3), torch.tensor([[False, False]]))
    with pytest.raises(ConfigError, match="allowed must have shape"):
        CRF(3, allowed=[[True]])
    with pytest.raises(ConfigError, match="allow no tag to start"):
        CRF(2, allowed_start=[False, False])
    with pytest.raises(ConfigError, match="num_tags"):
        CRF(0)
