/* exporters/common/fp16.c — float32 ↔ half conversion with round-to-nearest-even. */
#include "exporters/common/fp16.h"

#include <string.h>

uint16_t cpose_fp16_from_f32(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, exp = (x >> 23) & 0xffu, man = x & 0x7fffffu;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0));  /* inf / NaN */
    int e = (int)exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00u);                                        /* overflow */
    if (e <= 0) {                                                                           /* subnormal or 0 */
        if (e < -10) return (uint16_t)sign;
        man |= 0x800000u;
        int shift = 14 - e;                       /* 24-bit mantissa → 10 bits below the half's 2^-14 */
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++;  /* a carry into the exponent is correct */
    return (uint16_t)(sign | h);
}

float cpose_fp16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, x;
    if (exp == 0x1f) x = sign | 0x7f800000u | (man << 13);
    else if (exp) x = sign | ((exp - 15 + 127) << 23) | (man << 13);
    else if (!man) x = sign;
    else {
        int e = -1;
        do man <<= 1, e++;
        while (!(man & 0x400u));
        x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

void cpose_fp16_convert(const float *src, uint16_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) dst[i] = cpose_fp16_from_f32(src[i]);
}
