import sys, time, ctypes, torch
sys.path.insert(0, "bench")
from floors import best_of
lib = ctypes.CDLL("libdnnl.so.2"); sg = lib.dnnl_sgemm
sg.restype = ctypes.c_int
sg.argtypes = [ctypes.c_char, ctypes.c_char] + [ctypes.c_int64] * 3 + [ctypes.c_float, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_float, ctypes.c_void_p, ctypes.c_int64]
torch.set_num_threads(1)
for (m, k, n) in [(2245, 50, 1024), (2245, 50, 2056), (2245, 1024, 1032), (2245, 1024, 859), (516, 4490, 1024), (512, 4490, 50)]:
    a = torch.randn(m, k); b = torch.randn(n, k); c = torch.empty(m, n)  # b as [n, k]: 'T'
    t_dnnl = best_of(lambda: sg(b"N", b"T", m, n, k, 1.0, a.data_ptr(), k, b.data_ptr(), k, 0.0, c.data_ptr(), n), 10)
    t_mm = best_of(lambda: torch.mm(a, b.t(), out=c), 10)
    t_fill = best_of(lambda: c.fill_(1.0), 10)
    print(f"{m}x{k}x{n}: dnnl {t_dnnl*1e3:.2f} ms ({2*m*k*n/t_dnnl/1e9:.0f} GF/s), mm {t_mm*1e3:.2f} ms, write C alone {t_fill*1e3:.2f} ms ({c.numel()*4/t_fill/1e9:.1f} GB/s)")
print("fresh C each call")
for (m, k, n) in [(2245, 50, 1024), (4490, 50, 1024), (2245, 1024, 1032)]:
    a = torch.randn(m, k); b = torch.randn(n, k)
    def run():
        c = torch.empty(m, n)
        sg(b"N", b"T", m, n, k, 1.0, a.data_ptr(), k, b.data_ptr(), k, 0.0, c.data_ptr(), n)
    big = torch.empty(64*1024*1024)
    def run_cold():  # C reused but evicted from cache first
        big.fill_(0.0)
    c = torch.empty(m, n)
    def run_evicted():
        big.fill_(0.0)
        sg(b"N", b"T", m, n, k, 1.0, a.data_ptr(), k, b.data_ptr(), k, 0.0, c.data_ptr(), n)
    t_fresh = best_of(run, 10); t_ev = best_of(run_evicted, 10) - best_of(run_cold, 10)
    print(f"{m}x{k}x{n}: fresh C {t_fresh*1e3:.2f} ms, evicted C {t_ev*1e3:.2f} ms")
