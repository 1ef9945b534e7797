;; The Benchmarks Game's binary-trees at depth 16 (tests/scheme/binary-trees.scm, bigger).

(define (make-tree depth)
  (if (= depth 0)
      (cons '() '())
      (let ((d (- depth 1)))
        (cons (make-tree d) (make-tree d)))))

(define (check tree)
  (if (null? (car tree))
      1
      (+ 1 (check (car tree)) (check (cdr tree)))))

(define (print-line . items)
  (for-each display items)
  (newline))

(define (main n)
  (let* ((min-depth 4)
         (max-depth (max (+ min-depth 2) n))
         (stretch (+ max-depth 1)))
    (print-line "stretch tree of depth " stretch "\t check: " (check (make-tree stretch)))
    (let ((long-lived (make-tree max-depth)))
      (do ((depth min-depth (+ depth 2)))
          ((> depth max-depth))
        (let ((iterations (expt 2 (+ (- max-depth depth) min-depth))))
          (let loop ((i 0) (sum 0))
            (if (< i iterations)
                (loop (+ i 1) (+ sum (check (make-tree depth))))
                (print-line iterations "\t trees of depth " depth "\t check: " sum)))))
      (print-line "long lived tree of depth " max-depth "\t check: " (check long-lived)))))

(main 16)
