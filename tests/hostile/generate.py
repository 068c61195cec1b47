#!/usr/bin/env python3
"""Writes the hostile weights and tensor files of this folder and expected.txt.

Each case is a file image spelled out byte by byte (not made with resc's own
writers, so a bug shared by reader and writer cannot hide) and the exact
message the reader must give after "PATH: ". The files are committed; rerun
this script only to add or change cases, then review the diff.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def le(value, width):
    return value.to_bytes(width, "little")


def f32(*values):
    return b"".join(struct.pack("<f", v) for v in values)


def st(header, data=b""):
    """A safetensors image: 8-byte header length, header, data."""
    if isinstance(header, str):
        header = header.encode()
    return le(len(header), 8) + header + data


def npy(major, header, data=b""):
    """A .npy image of version MAJOR.0 with the header as given."""
    if isinstance(header, str):
        header = header.encode()
    width = 2 if major == 1 else 4
    return b"\x93NUMPY" + bytes([major, 0]) + le(len(header), width) + header + data


OK_T = '"dtype":"F32","shape":[4],"data_offsets":[0,16]'
FOUR = f32(1, 2, 3, 4)


def entry(fields):
    return '{"t":{' + fields + "}}"


def npy_dict(descr="'<f4'", fortran="False", shape="(2, 2)"):
    return ("{'descr': %s, 'fortran_order': %s, 'shape': %s, }" %
            (descr, fortran, shape))


SAFETENSORS = [
    # The 8-byte length and the header's extent.
    ("empty", b"", "file is empty"),
    ("five_bytes", b"{}   ",
     "file is 5 bytes, too short for the 8-byte header length"),
    ("header_length_2_pow_63", le(1 << 63, 8) + b"{}",
     "header length 9223372036854775808 exceeds the limit of 100000000 bytes"),
    ("header_length_all_ones", le((1 << 64) - 1, 8) + b"{}",
     "header length 18446744073709551615 exceeds the limit of 100000000 bytes"),
    ("header_longer_than_file", le(1000, 8) + b"{}      ",
     "header length 1000 is larger than the rest of the file (8 bytes)"),
    ("header_length_zero", le(0, 8) + FOUR, "header length is 0"),
    ("header_is_array", st("[]"), "header does not start with '{'"),
    ("header_truncated_json", st('{"t":{'),
     "header is not valid JSON: unexpected end of input, expected a string "
     "as object key at byte 6"),
    ("header_nul_padding", st("{}\0\0\0\0\0\0"),
     "header is not valid JSON: unexpected byte 0x00 after the JSON value at "
     "byte 2"),
    ("header_deep_nesting", st('{"t":' + "[" * 1000 + "]" * 1000 + "}"),
     "header is not valid JSON: nesting deeper than 64 at byte 68"),
    # Keys.
    ("duplicate_key", st('{"t":{' + OK_T + '},"t":{' + OK_T + "}}", FOUR),
     "header is not valid JSON: duplicate key 't' at byte 55"),
    ("duplicate_key_via_escape",
     st('{"t":{' + OK_T + '},"\\u0074":{' + OK_T + "}}", FOUR),
     "header is not valid JSON: duplicate key 't' at byte 55"),
    ("non_utf8_key", st(b'{"\xff":{}}'),
     "header is not valid JSON: invalid UTF-8 (byte 0xff) in a string at "
     "byte 2"),
    ("non_utf8_key_latin1", st(b'{"caf\xe9":{' + OK_T.encode() + b"}}", FOUR),
     "header is not valid JSON: invalid UTF-8 (byte 0xe9) in a string at "
     "byte 5"),
    ("overlong_utf8_key", st(b'{"\xc0\xaf":{}}'),
     "header is not valid JSON: invalid UTF-8 (byte 0xc0) in a string at "
     "byte 2"),
    ("encoded_surrogate_key", st(b'{"\xed\xa0\x80":{}}'),
     "header is not valid JSON: invalid UTF-8 (byte 0xed) in a string at "
     "byte 2"),
    ("lone_surrogate_escape_key", st('{"\\ud800":{}}'),
     "header is not valid JSON: lone high surrogate in a \\u escape at byte "
     "8"),
    # Offsets that lie.
    ("offsets_past_end", st(entry('"dtype":"F32","shape":[8],"data_offsets":[0,32]'), FOUR),
     "tensor 't': data_offsets [0, 32] go past the end of the 16-byte data "
     "section (is the file truncated?)"),
    ("offsets_far_past_end",
     st(entry('"dtype":"F32","shape":[4],"data_offsets":[9223372036854775791,'
              '9223372036854775807]'), FOUR),
     "tensor 't': data_offsets [9223372036854775791, 9223372036854775807] "
     "go past the end of the 16-byte data section (is the file truncated?)"),
    ("offsets_beyond_u64",
     st(entry('"dtype":"F32","shape":[4],"data_offsets":[0,18446744073709551616]'),
        FOUR),
     "tensor 't': 'data_offsets' element 1 is too large (18446744073709551616)"),
    ("offsets_reversed", st(entry('"dtype":"F32","shape":[4],"data_offsets":[16,0]'), FOUR),
     "tensor 't': data_offsets [16, 0] begin after they end"),
    ("offsets_three_numbers",
     st(entry('"dtype":"F32","shape":[4],"data_offsets":[0,8,16]'), FOUR),
     "tensor 't': 'data_offsets' must hold 2 numbers [begin, end], not 3"),
    ("offsets_negative", st(entry('"dtype":"F32","shape":[4],"data_offsets":[-16,0]'), FOUR),
     "tensor 't': 'data_offsets' element 0 is negative (-16)"),
    ("truncated_data", st(entry(OK_T), f32(1, 2)),
     "tensor 't': data_offsets [0, 16] go past the end of the 8-byte data "
     "section (is the file truncated?)"),
    ("overlapping_ranges",
     st('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},'
        '"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}', f32(1, 2, 3, 4, 5, 6)),
     "tensor 'b': data_offsets [8, 24] overlap those of tensor 'a' [0, 16]"),
    ("identical_ranges",
     st('{"a":{' + OK_T + '},"b":{' + OK_T + "}}", FOUR),
     "tensor 'b': data_offsets [0, 16] overlap those of tensor 'a' [0, 16]"),
    ("gap_between_tensors",
     st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
        '"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', f32(1, 2, 3)),
     "data bytes [4, 8) belong to no tensor (the data must have no gaps)"),
    ("trailing_bytes", st(entry(OK_T), FOUR + b"MZ\x90\x00"),
     "data bytes [16, 20) after the last tensor belong to no tensor"),
    ("data_without_tensors", st("{}", FOUR),
     "data bytes [0, 16) belong to no tensor (the header lists none)"),
    # Shapes whose size overflows or does not match.
    ("shape_product_overflows_int64",
     st(entry('"dtype":"F32","shape":[4294967296,4294967296],'
              '"data_offsets":[0,16]'), FOUR),
     "tensor 't': shape [4294967296, 4294967296] of F32 is too large (its "
     "size overflows 64 bits)"),
    ("shape_bits_overflow_u64",
     st(entry('"dtype":"F32","shape":[4611686018427387904],'
              '"data_offsets":[0,16]'), FOUR),
     "tensor 't': shape [4611686018427387904] of F32 is too large (its size "
     "overflows 64 bits)"),
    ("shape_overflow_hidden_by_zero_order",
     st(entry('"dtype":"F32","shape":[9223372036854775807,2,0],'
              '"data_offsets":[0,16]'), FOUR),
     "tensor 't': data_offsets [0, 16] do not match shape "
     "[9223372036854775807, 2, 0] of F32 (0 bytes)"),
    ("shape_does_not_match_offsets",
     st(entry('"dtype":"F32","shape":[5],"data_offsets":[0,16]'), FOUR),
     "tensor 't': data_offsets [0, 16] do not match shape [5] of F32 (20 "
     "bytes)"),
    ("shape_dim_too_large",
     st(entry('"dtype":"F32","shape":[9223372036854775808],'
              '"data_offsets":[0,16]'), FOUR),
     "tensor 't': 'shape' element 0 is too large (9223372036854775808)"),
    ("shape_negative_dim",
     st(entry('"dtype":"F32","shape":[-4],"data_offsets":[0,16]'), FOUR),
     "tensor 't': 'shape' element 0 is negative (-4)"),
    ("shape_fractional_dim",
     st(entry('"dtype":"F32","shape":[1.5],"data_offsets":[0,16]'), FOUR),
     "tensor 't': 'shape' element 0 is not an integer (1.5)"),
    ("shape_not_array",
     st(entry('"dtype":"F32","shape":4,"data_offsets":[0,16]'), FOUR),
     "tensor 't': 'shape' is not an array"),
    ("f4_odd_element_count",
     st(entry('"dtype":"F4","shape":[3],"data_offsets":[0,2]'), b"\0\0"),
     "tensor 't': shape [3] of F4 is 12 bits, not a whole number of bytes"),
    # Entries and metadata.
    ("entry_not_object", st('{"t":[1]}'), "tensor 't': entry is not an object"),
    ("missing_dtype", st(entry('"shape":[4],"data_offsets":[0,16]'), FOUR),
     "tensor 't': missing field 'dtype'"),
    ("unknown_dtype",
     st(entry('"dtype":"F128","shape":[1],"data_offsets":[0,16]'), FOUR),
     "tensor 't': unknown dtype 'F128'"),
    ("unexpected_field", st(entry(OK_T + ',"strides":[1]'), FOUR),
     "tensor 't': unexpected field 'strides'"),
    ("metadata_not_object", st('{"__metadata__":[1]}'),
     "'__metadata__' is not an object"),
    ("metadata_value_not_string", st('{"__metadata__":{"epoch":3}}'),
     "'__metadata__' value for 'epoch' is not a string"),
]

NPY = [
    ("empty", b"", "file is empty"),
    ("bad_magic", b"\x93NUMPZ\x01\x00", 'not a .npy file (it does not start '
     'with "\\x93NUMPY")'),
    ("safetensors_given_as_npy", st(entry(OK_T), FOUR),
     'not a .npy file (it does not start with "\\x93NUMPY")'),
    ("truncated_in_version", b"\x93NUMPY\x01",
     "file ends inside the format version"),
    ("version_4", npy(4, npy_dict()),
     ".npy format version 4.0 is not supported (only 1.0, 2.0 and 3.0)"),
    ("truncated_in_header_length", b"\x93NUMPY\x02\x00\x10\x00",
     "file ends inside the header length"),
    ("header_length_past_end", b"\x93NUMPY\x01\x00\xff\xff{}",
     "header length 65535 is larger than the rest of the file (2 bytes)"),
    ("header_length_4g_v2", b"\x93NUMPY\x02\x00\xff\xff\xff\xff{}",
     "header length 4294967295 is larger than the rest of the file (2 bytes)"),
    ("dtype_f8", npy(1, npy_dict(descr="'<f8'"), b"\0" * 32),
     "dtype '<f8' is not supported; only '<f4' (little-endian float32) is"),
    ("dtype_big_endian_f4", npy(1, npy_dict(descr="'>f4'"), b"\0" * 16),
     "dtype '>f4' is not supported; only '<f4' (little-endian float32) is"),
    ("dtype_i4", npy(1, npy_dict(descr="'<i4'"), b"\0" * 16),
     "dtype '<i4' is not supported; only '<f4' (little-endian float32) is"),
    ("dtype_object", npy(1, npy_dict(descr="'|O'"), b"\0" * 32),
     "dtype '|O' is not supported; only '<f4' (little-endian float32) is"),
    ("dtype_structured", npy(1, npy_dict(descr="[('a', '<f4')]"), FOUR),
     "header: 'descr' is a structured dtype (a list of fields); only '<f4' "
     "is supported"),
    ("fortran_order", npy(1, npy_dict(fortran="True"), FOUR),
     "fortran_order True (column-major data) is not supported; save a "
     "C-order array"),
    ("truncated_data", npy(1, npy_dict(), f32(1, 2, 3)),
     "data is truncated: shape (2, 2) of '<f4' needs 16 bytes, the file has "
     "12"),
    ("trailing_bytes", npy(1, npy_dict(), FOUR + b"\0\0"),
     "2 unexpected bytes after the data of shape (2, 2)"),
    ("shape_product_overflows",
     npy(1, npy_dict(shape="(4294967296, 4294967296)"), FOUR),
     "shape (4294967296, 4294967296) is too large (its size overflows 64 "
     "bits)"),
    ("shape_bytes_overflow", npy(1, npy_dict(shape="(4611686018427387904,)"), FOUR),
     "shape (4611686018427387904,) is too large (its size overflows 64 bits)"),
    ("shape_huge_claims_little", npy(1, npy_dict(shape="(1000000, 1000000)"), FOUR),
     "data is truncated: shape (1000000, 1000000) of '<f4' needs "
     "4000000000000 bytes, the file has 16"),
    ("shape_dim_too_large", npy(1, npy_dict(shape="(99999999999999999999,)"), FOUR),
     "header: 'shape' dimension 99999999999999999999 is too large"),
    ("shape_negative_dim", npy(1, npy_dict(shape="(-4,)"), FOUR),
     "header: 'shape' has a negative dimension -4"),
    ("shape_not_tuple", npy(1, npy_dict(shape="(4)"), FOUR),
     "header: 'shape' (4) is not a tuple; a 1-d shape is written (4,)"),
    ("missing_shape", npy(1, "{'descr': '<f4', 'fortran_order': False, }", FOUR),
     "header: missing key 'shape'"),
    ("duplicate_descr",
     npy(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
            "'shape': (4,), }", FOUR),
     "malformed header: duplicate key 'descr' at byte 17 of the header"),
    ("unknown_key", npy(1, "{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (4,), 'strides': (4,), }", FOUR),
     "header: unexpected key 'strides' (expected 'descr', 'fortran_order' "
     "and 'shape')"),
    ("header_not_dict", npy(1, "['<f4', False, (4,)]", FOUR),
     "malformed header: unexpected '[', the header must be a dict starting "
     "with '{' at byte 0 of the header"),
    ("header_non_ascii", npy(1, b"{'descr': '<f\xc3\xa9', }", FOUR),
     "malformed header: unexpected byte 0xc3 in a string at byte 13 of the "
     "header"),
    ("header_unterminated_string", npy(1, "{'descr': '<f4", FOUR),
     "malformed header: unterminated string at byte 14 of the header"),
]


def main():
    lines = [
        "# FILE: MESSAGE -- the exact error after \"PATH: \" (written by "
        "generate.py)",
    ]
    for cases, ext in ((SAFETENSORS, "safetensors"), (NPY, "npy")):
        for name, data, message in cases:
            file = "%s.%s" % (name, ext)
            with open(os.path.join(HERE, file), "wb") as out:
                out.write(data)
            lines.append("%s: %s" % (file, message))
    with open(os.path.join(HERE, "expected.txt"), "w") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
