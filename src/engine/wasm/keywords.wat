;; The keyword index's inner loop as WebAssembly: the same scan as the JavaScript loop in
;; KeywordIndex.each (keyword-filter.ts), compiled before it runs, so a one-off scan (a pre-commit
;; run that reads a megabyte once) runs it at machine speed instead of in the interpreter.
;;
;; Memory: bytes [0, 131072) are a table of 2^20 bits, set where some keyword's anchor (a quad, or
;; a triple for short keywords) hashes; the caller puts the text and the output area above it. At
;; each position i in [from, to] the quad is the case-folded bytes i-3 .. i and the triple i-2 .. i;
;; where both bits of either one are set (two hashes, as in a Bloom filter), i is written to the
;; output (u32) and counted. The scan stops early
;; when `max` positions are written; the caller resumes from the last one + 1.
(module
  (memory (export "memory") 2)
  (func (export "scan") (param $from i32) (param $to i32) (param $out i32) (param $max i32) (result i32)
    (local $i i32) (local $q i32) (local $n i32) (local $c i32) (local $h i32) (local $hit i32) (local $hit3 i32)
    ;; the three bytes before `from` start the quad (written out, not called: the baseline compiler
    ;; that runs a one-off scan does not inline, and a call per byte would cost more than the rest)
    (local.set $i (i32.sub (local.get $from) (i32.const 3)))
    (loop $prime
      (local.set $c (i32.load8_u (local.get $i)))
      ;; A-Z to a-z: c | 32 where c - 65 < 26 (unsigned)
      (local.set $c
        (i32.or (local.get $c) (i32.shl (i32.lt_u (i32.sub (local.get $c) (i32.const 65)) (i32.const 26)) (i32.const 5))))
      (local.set $q (i32.or (i32.shl (local.get $q) (i32.const 8)) (local.get $c)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $prime (i32.lt_u (local.get $i) (local.get $from))))
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (local.get $i) (local.get $to)))
        (local.set $c (i32.load8_u (local.get $i)))
        (local.set $c
          (i32.or (local.get $c) (i32.shl (i32.lt_u (i32.sub (local.get $c) (i32.const 65)) (i32.const 26)) (i32.const 5))))
        (local.set $q (i32.or (i32.shl (local.get $q) (i32.const 8)) (local.get $c)))
        ;; each hash: x times 0x9e3779b1, top 20 bits; then its bit in the table
        (local.set $h (i32.shr_u (i32.mul (local.get $q) (i32.const 0x9e3779b1)) (i32.const 12)))
        (local.set $hit
          (i32.shr_u (i32.load8_u (i32.shr_u (local.get $h) (i32.const 3))) (i32.and (local.get $h) (i32.const 7))))
        (local.set $h
          (i32.shr_u (i32.mul (i32.and (local.get $q) (i32.const 0xffffff)) (i32.const 0x9e3779b1)) (i32.const 12)))
        (local.set $hit3
          (i32.shr_u (i32.load8_u (i32.shr_u (local.get $h) (i32.const 3))) (i32.and (local.get $h) (i32.const 7))))
        (if (i32.and (i32.or (local.get $hit) (local.get $hit3)) (i32.const 1))
          (then
            ;; a set bit is mostly another anchor's hash: the table also holds each anchor's second
            ;; hash (x times 0x85ebca77), and both must be set before JavaScript compares anything
            (local.set $h (i32.shr_u (i32.mul (local.get $q) (i32.const 0x85ebca77)) (i32.const 12)))
            (local.set $hit
              (i32.and
                (local.get $hit)
                (i32.shr_u (i32.load8_u (i32.shr_u (local.get $h) (i32.const 3))) (i32.and (local.get $h) (i32.const 7)))))
            (local.set $h
              (i32.shr_u (i32.mul (i32.and (local.get $q) (i32.const 0xffffff)) (i32.const 0x85ebca77)) (i32.const 12)))
            (local.set $hit3
              (i32.and
                (local.get $hit3)
                (i32.shr_u (i32.load8_u (i32.shr_u (local.get $h) (i32.const 3))) (i32.and (local.get $h) (i32.const 7)))))
            (if (i32.and (i32.or (local.get $hit) (local.get $hit3)) (i32.const 1))
              (then
                (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))) (local.get $i))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))
                (br_if $done (i32.eq (local.get $n) (local.get $max)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $n)))
