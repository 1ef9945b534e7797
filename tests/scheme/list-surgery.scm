;; Destructive list surgery: set-car!/set-cdr! splicing, in-place reversal, merge sort by
;; relinking cells, a circular list made and broken. Collections run while cells are being
;; relinked; everything still reachable must survive.
;; torture: no  (too many allocations for a collection at each; torture-mix.scm covers it small)

(define (show x . xs) (write x) (for-each (lambda (y) (display " ") (write y)) xs) (newline))

(define (iota n) (let loop ((i (- n 1)) (acc '())) (if (< i 0) acc (loop (- i 1) (cons i acc)))))

;; In-place reversal: no new pairs.
(define (reverse! lst)
  (let loop ((prev '()) (cur lst))
    (if (null? cur)
        prev
        (let ((next (cdr cur)))
          (set-cdr! cur prev)
          (loop cur next)))))

(define l (iota 10))
(define head l)
(define r (reverse! l))
(show r)
(show head)   ; the old first pair is now the last

;; Splice a list into the middle of another.
(define (splice! lst k other)
  (let* ((before (list-tail lst (- k 1)))
         (after (cdr before)))
    (set-cdr! before other)
    (set-cdr! (last-pair other) after)
    lst))
(show (splice! (list 1 2 3 6 7) 3 (list 4 5)))

;; Delete every element satisfying pred, in place.
(define (delete! pred lst)
  (let ((dummy (cons 'head lst)))
    (let loop ((p dummy))
      (cond ((null? (cdr p)) (cdr dummy))
            ((pred (cadr p)) (set-cdr! p (cddr p)) (loop p))
            (else (loop (cdr p)))))))
(show (delete! even? (iota 20)))

;; Merge sort by relinking pairs.
(define (merge! a b less?)
  (let ((dummy (cons 'head '())))
    (let loop ((tail dummy) (a a) (b b))
      (cond ((null? a) (set-cdr! tail b) (cdr dummy))
            ((null? b) (set-cdr! tail a) (cdr dummy))
            ((less? (car b) (car a)) (set-cdr! tail b) (loop b a (cdr b)))
            (else (set-cdr! tail a) (loop a (cdr a) b))))))

(define (sort! lst less?)
  (if (or (null? lst) (null? (cdr lst)))
      lst
      (let* ((half (quotient (length lst) 2))
             (mid (list-tail lst (- half 1)))
             (second (cdr mid)))
        (set-cdr! mid '())
        (merge! (sort! lst less?) (sort! second less?) less?))))

;; A pseudo-random permutation (linear congruential generator).
(define (shuffled n seed)
  (let loop ((i 0) (x seed) (acc '()))
    (if (= i n) acc (loop (+ i 1) (modulo (+ (* x 1103515245) 12345) 2147483648) (cons (modulo x 1000) acc)))))
(define data (shuffled 20000 42))
(define sorted (sort! data <))
(show (length sorted) (list-ref sorted 0) (list-ref sorted 19999))
(show (let loop ((l sorted)) (or (null? (cdr l)) (and (<= (car l) (cadr l)) (loop (cdr l))))))

;; A circular list: list? says no, length is an error we avoid, breaking it restores it.
(define ring (list 'a 'b 'c))
(set-cdr! (cddr ring) ring)
(show (list? ring) (car (list-tail ring 7)))
(set-cdr! (cddr ring) '())
(show (list? ring) ring)

;; Vectors of lists, rebuilt destructively many times.
(define buckets (make-vector 10 '()))
(do ((i 0 (+ i 1))) ((= i 5000))
  (let ((k (modulo (* i 7) 10)))
    (vector-set! buckets k (cons i (vector-ref buckets k)))))
(show (map length (vector->list buckets)))
(show (apply + (vector-ref buckets 3)))
