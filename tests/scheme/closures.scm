;; Closures: counters with private state, accumulators, closures captured in loops,
;; shared mutable environments, higher-order composition, and many closures kept alive
;; across collections.
;; torture: no  (too many allocations for a collection at each; torture-mix.scm covers it small)

(define (show x . xs) (write x) (for-each (lambda (y) (display " ") (write y)) xs) (newline))

(define (make-counter)
  (let ((n 0))
    (lambda () (set! n (+ n 1)) n)))
(define c1 (make-counter))
(define c2 (make-counter))
(c1) (c1) (c2)
(show (c1) (c2))

;; Two closures sharing one environment.
(define (make-account balance)
  (define (withdraw amount)
    (if (> amount balance) (error "insufficient funds:" amount))
    (set! balance (- balance amount))
    balance)
  (define (deposit amount) (set! balance (+ balance amount)) balance)
  (lambda (op . args)
    (cond ((eq? op 'withdraw) (apply withdraw args))
          ((eq? op 'deposit) (apply deposit args))
          ((eq? op 'balance) balance)
          (else (error "unknown op" op)))))
(define acc (make-account 100))
(acc 'deposit 50)
(acc 'withdraw 30)
(show (acc 'balance))

;; Each iteration of `do` binds fresh variables: closures see their own i.
(define procs
  (do ((i 0 (+ i 1)) (ps '() (cons (lambda () i) ps)))
      ((= i 5) (reverse ps))))
(show (map (lambda (p) (p)) procs))

(define (compose . fs)
  (if (null? fs)
      (lambda (x) x)
      (lambda (x) ((car fs) ((apply compose (cdr fs)) x)))))
(define add1 (lambda (x) (+ x 1)))
(define double (lambda (x) (* x 2)))
(show ((compose add1 double add1) 5))

(define (curry f . early) (lambda late (apply f (append early late))))
(show ((curry + 1 2) 3 4))

;; Y combinator (no define for recursion).
(define Y
  (lambda (f)
    ((lambda (x) (f (lambda (v) ((x x) v))))
     (lambda (x) (f (lambda (v) ((x x) v)))))))
(define fact (Y (lambda (self) (lambda (n) (if (= n 0) 1 (* n (self (- n 1))))))))
(show (fact 10))

;; Ten thousand closures over distinct environments, kept in a vector while garbage is
;; made, then all called.
(define keep (make-vector 10000 #f))
(do ((i 0 (+ i 1))) ((= i 10000))
  (vector-set! keep i (let ((sq (* i i))) (lambda (k) (+ sq k))))
  (make-list 10 i))
(show (let loop ((i 0) (sum 0)) (if (= i 10000) sum (loop (+ i 1) (+ sum ((vector-ref keep i) 1))))))

;; Memoisation through an association list held in a closure.
(define (memoize f)
  (let ((table '()))
    (lambda (n)
      (let ((hit (assv n table)))
        (if hit
            (cdr hit)
            (let ((v (f n)))
              (set! table (cons (cons n v) table))
              v))))))
(define slow-fib (lambda (n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))))
(define fib (memoize slow-fib))
(show (fib 80))
