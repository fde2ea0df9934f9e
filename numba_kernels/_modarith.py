"""Scalar arithmetic mod a word-size prime, shared by the jitted mod-p kernels."""
import numpy as np

from ._jit import njit


@njit
def powmod(a, e, p):
    """a^e mod p by square-and-multiply (p < 2^31, so products fit in int64)."""
    r = np.int64(1)
    a = a % p
    while e > 0:
        if e & 1:
            r = r * a % p
        a = a * a % p
        e >>= 1
    return r


@njit
def is_prime_small(p):
    """Deterministic Miller-Rabin for p < 3,215,031,751 (bases 2, 3, 5, 7; Jaeschke 1993)."""
    if p < 2:
        return False
    for q in (2, 3, 5, 7, 11, 13):
        if p % q == 0:
            return p == q
    d = p - 1
    s = 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in (2, 3, 5, 7):
        x = powmod(a, d, p)
        if x == 1 or x == p - 1:
            continue
        composite = True
        for _ in range(s - 1):
            x = x * x % p
            if x == p - 1:
                composite = False
                break
        if composite:
            return False
    return True


@njit
def inv_mod(a, p):
    """Inverse of a in GF(p) (a != 0 mod p), extended Euclid in int64."""
    t, newt = np.int64(0), np.int64(1)
    r, newr = np.int64(p), np.int64(a % p)
    while newr != 0:
        q = r // newr
        t, newt = newt, t - q * newt
        r, newr = newr, r - q * newr
    if t < 0:
        t += p
    return t
