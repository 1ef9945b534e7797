;; A GCBench-like program (after Boehm's GCBench): a long-lived tree and array stay live
;; while short-lived trees of growing depth are built top-down (allocate, then fill in the
;; children) and bottom-up (children first), each checked and dropped.
;; torture: no
;; small: (gcbench 12 10 20000 4 10) => (gcbench 6 5 2000 2 6)

(define-record-type node
  (make-node left right i j)
  node?
  (left node-left set-node-left!)
  (right node-right set-node-right!)
  (i node-i set-node-i!)
  (j node-j))

(define (leaf) (make-node #f #f 0 0))

;; Nodes in a complete tree of depth i.
(define (tree-size i) (- (expt 2 (+ i 1)) 1))

;; How many trees of depth i to build so every depth allocates about as much.
(define (iterations i stretch) (quotient (* 2 (tree-size stretch)) (tree-size i)))

(define (populate! depth node)
  (when (> depth 0)
    (set-node-left! node (leaf))
    (set-node-right! node (leaf))
    (populate! (- depth 1) (node-left node))
    (populate! (- depth 1) (node-right node))))

(define (make-bottom-up depth)
  (if (= depth 0)
      (leaf)
      (make-node (make-bottom-up (- depth 1)) (make-bottom-up (- depth 1)) depth 0)))

(define (count node)
  (if (node? node)
      (+ 1 (count (node-left node)) (count (node-right node)))
      0))

(define (time-construction depth stretch)
  (let ((n (iterations depth stretch)))
    (display "creating ") (display n) (display " trees of depth ") (display depth) (newline)
    (let loop ((k 0) (top-down 0))
      (when (< k n)
        (let ((t (leaf)))
          (populate! depth t)
          (loop (+ k 1) (+ top-down (count t))))))
    (let loop ((k 0) (total 0))
      (if (< k n)
          (loop (+ k 1) (+ total (count (make-bottom-up depth))))
          (begin (display "  bottom-up nodes: ") (display total) (newline))))))

(define (gcbench stretch long-lived-depth array-size min-depth max-depth)
  (display "stretching memory with a tree of depth ") (display stretch) (newline)
  (display "  nodes: ") (display (count (make-bottom-up stretch))) (newline)
  (let ((long-lived (leaf))
        (array (make-vector array-size 0.0)))
    (populate! long-lived-depth long-lived)
    (do ((i 0 (+ i 1))) ((= i (quotient array-size 2)))
      (vector-set! array i (/ 1.0 (+ i 1))))
    (do ((d min-depth (+ d 2))) ((> d max-depth))
      (time-construction d stretch))
    (display "long-lived tree nodes: ") (display (count long-lived)) (newline)
    (display "array check: ") (display (vector-ref array 10)) (newline)))

(gcbench 12 10 20000 4 10)
