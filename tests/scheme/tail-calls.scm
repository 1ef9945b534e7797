;; Proper tail calls everywhere: ten million iterations of a named let, mutual recursion,
;; tail calls through if/cond/case/and/or/when/unless/let/let*/letrec/begin/apply and
;; through a `cond =>` clause, all with a continuation stack limited to 100 entries.
;; args: --max-depth 100
;; short: (define n 10000000) => (define n 1000000)
;; torture: no  (too many allocations for a collection at each; torture-mix.scm covers it small)

(define (show x . xs) (write x) (for-each (lambda (y) (display " ") (write y)) xs) (newline))

(define n 10000000)

(show (let loop ((i 0)) (if (< i n) (loop (+ i 1)) i)))

(define (my-even? k) (if (= k 0) #t (my-odd? (- k 1))))
(define (my-odd? k) (if (= k 0) #f (my-even? (- k 1))))
(show (my-even? 1000001))

(define (via-cond k acc)
  (cond ((= k 0) acc)
        ((odd? k) (via-cond (- k 1) (+ acc 1)))
        (else (via-cond (- k 1) acc))))
(show (via-cond 100000 0))

(define (via-case k)
  (case (modulo k 3)
    ((0) (if (= k 0) 'done (via-case (- k 1))))
    ((1) (via-case (- k 1)))
    (else (via-case (- k 1)))))
(show (via-case 100000))

(define (via-and-or k) (or (= k 0) (and (> k 0) (via-and-or (- k 1)))))
(show (via-and-or 100000))

(define (via-when k) (when (> k 0) (via-when (- k 1))))
(define (via-unless k) (unless (= k 0) (via-unless (- k 1))))
(via-when 100000)
(via-unless 100000)

(define (via-let k) (let ((j (- k 1))) (if (< j 0) 'let-done (via-let j))))
(define (via-let* k) (let* ((a k) (j (- a 1))) (if (< j 0) 'let*-done (via-let* j))))
(define (via-letrec k) (letrec ((j (- k 1))) (if (< j 0) 'letrec-done (via-letrec j))))
(define (via-begin k) (begin (if (= k 0) 'begin-done (via-begin (- k 1)))))
(define (via-apply k) (if (= k 0) 'apply-done (apply via-apply (list (- k 1)))))
(define (via-arrow k) (cond ((and (> k 0) (- k 1)) => via-arrow) (else 'arrow-done)))
(show (via-let 100000) (via-let* 100000) (via-letrec 100000) (via-begin 100000)
      (via-apply 100000) (via-arrow 100000))

(define (count-down-do k) (do ((i k (- i 1))) ((= i 0) 'do-done)))
(show (count-down-do 100000))
