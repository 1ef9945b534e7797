;; `or` keeps a true part's value; a part with an inline test (a fixnum comparison, `null?`
;; of a parameter...) gives #t from the inline case, and its general code runs otherwise.
(define (small-or-empty n l) (or (< n 3) (null? l) (and (pair? l) (car l))))
(display (list (small-or-empty 1 '(a)) (small-or-empty 5 '()) (small-or-empty 5 '(b c))
               (small-or-empty 5 '(#f)) (small-or-empty 2.5 '(d))))
(newline)
;; Not in tail position: the value goes on into the caller's code.
(define (count-hits xs k)
  (let loop ((xs xs) (n 0))
    (if (null? xs)
        n
        (let ((x (car xs)))
          (loop (cdr xs) (+ n (if (or (= x k) (not (< x 10)) (zero? x)) 1 0)))))))
(display (count-hits '(1 5 12 0 5 9) 5))
(newline)
(define (first-true a b c) (list (or (> a b) (> b c) 'neither) (+ 1 (if (or (= a 0) (= b 0)) 10 20))))
(display (list (first-true 3 2 1) (first-true 1 2 1) (first-true 1 2 3) (first-true 0 1 2)))
(newline)
(display (list (or) (or #f) (or #f 2) (or 1 (car '())) (or #f #f #f)))
(newline)
;; Rebound predicates: their own values, not #t.
(define (test-lt a b) (or (< a b) 'no))
(define (test-null l) (or (null? l) 'full))
(display (list (test-lt 1 2) (test-lt 2 1) (test-null '()) (test-null '(1))))
(newline)
(set! < (lambda (a b) (if (eq? a 1) 'custom #f)))
(define (null? x) (if (eq? x 'empty) 'yes-empty #f))
(display (list (test-lt 1 2) (test-lt 2 1) (test-null 'empty) (test-null '())))
(newline)
