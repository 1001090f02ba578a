"""Zero-cost proxies: score an untrained candidate network in one forward/backward pass, so a
search can spend its trainings on candidates likely to be good (`--prescreen PROXY:N`).

    scorer = ProxyScorer(get_space("nb201"), "synflow")
    scorer.score(genotype)   # cached on disk, deterministic for the seed
"""

# ruff: noqa: I001  (measures registers into the registry)
from .registry import Proxy, get_proxy, proxy_names, register_proxy
from . import measures as _measures  # noqa: F401  (registers)
from .cache import ProxyCache, cache_key, default_cache_path
from .scorer import ProxyScorer, parse_prescreen

__all__ = ["Proxy", "ProxyCache", "ProxyScorer", "cache_key", "default_cache_path", "get_proxy",
           "parse_prescreen", "proxy_names", "register_proxy"]
