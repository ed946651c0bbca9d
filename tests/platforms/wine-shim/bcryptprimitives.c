/*
 * Test-only stand-in for bcryptprimitives.dll under Wine 8 (Debian), which lacks it.
 *
 * Rust's std (1.78+) imports `ProcessPrng` from bcryptprimitives.dll for its random keys
 * (HashMap seeds); without the DLL the exe does not start (status c0000135). This shim
 * exports `ProcessPrng` and forwards it to `RtlGenRandom` (exported by advapi32 as
 * `SystemFunction036`), which Wine has. scripts/test-platforms builds it with
 * `python3 -m ziglang cc -target x86_64-windows-gnu -shared` and places it beside a copy of
 * the exe in a temporary directory, never beside the shipped binary. Not part of any release.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Same contract as the real one: fill the buffer, always return TRUE. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
