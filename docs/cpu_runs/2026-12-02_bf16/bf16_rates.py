import ctypes, time, torch, numpy as np
lib = ctypes.CDLL("libdnnl.so.2")
sg = lib.dnnl_sgemm; bg = lib.dnnl_gemm_bf16bf16f32
for f in (sg, bg):
    f.restype = ctypes.c_int
    f.argtypes = [ctypes.c_char, ctypes.c_char] + [ctypes.c_int64]*3 + [ctypes.c_float, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_float, ctypes.c_void_p, ctypes.c_int64]
def best(fn, r=7):
    fn(); t=[]
    for _ in range(r):
        s=time.perf_counter(); fn(); t.append(time.perf_counter()-s)
    return min(t)
torch.set_num_threads(2)
for (m,k,n) in [(4490,1024,1024),(4490,1024,726),(4490,50,1024),(8192,1024,1024)]:
    a=torch.randn(m,k); b=torch.randn(k,n); c=torch.empty(m,n)
    ab=a.bfloat16(); bb=b.bfloat16()
    ts=best(lambda: sg(b"N",b"N",m,n,k,1.0,a.data_ptr(),k,b.data_ptr(),n,0.0,c.data_ptr(),n))
    tb=best(lambda: bg(b"N",b"N",m,n,k,1.0,ab.data_ptr(),k,bb.data_ptr(),n,0.0,c.data_ptr(),n))
    tc=best(lambda: a.bfloat16())
    fl=2*m*n*k/1e9
    print(f"{m}x{k}x{n}: sgemm {fl/ts:.0f} GF/s, bf16 {fl/tb:.0f} GF/s, ratio {ts/tb:.2f}, convert A {tc*1e3:.2f} ms vs sgemm {ts*1e3:.2f} ms")
