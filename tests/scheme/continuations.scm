;; Re-entrant call/cc: continuations called after their call/cc returned, generators,
;; dynamic-wind crossed both ways, and assigned variables shared by every re-entry.

;; The classic: a top-level continuation re-entered from a later form goes on with the
;; forms after the one it was captured in.
(define saved #f)
(define count 0)
(display (+ 1 (call/cc (lambda (k) (set! saved k) 1))))
(newline)
(set! count (+ count 1))
(if (< count 3) (saved (* count 10)))
(display "classic done") (newline)

;; A generator over for-each: each call re-enters the for-each where it left off.
(define (make-gen lst)
  (define return #f)
  (define resume #f)
  (define (gen)
    (call/cc
     (lambda (r)
       (set! return r)
       (if resume
           (resume 'go)
           (begin
             (for-each (lambda (x) (call/cc (lambda (k) (set! resume k) (return x)))) lst)
             (return 'eof))))))
  gen)
(define g (make-gen '(a b c)))
(display (list (g) (g) (g) (g) (g))) (newline)

;; A tree walker as a generator: same-fringe by re-entering two walks in turn.
(define (tree-gen tree)
  (define caller #f)
  (define (walk t)
    (cond ((null? t) 'skip)
          ((pair? t) (walk (car t)) (walk (cdr t)))
          (else (call/cc (lambda (rest) (set! next (lambda () (rest #f))) (caller t))))))
  (define (next) (walk tree) (caller 'done))
  (lambda () (call/cc (lambda (c) (set! caller c) (next)))))
(define (same-fringe? a b)
  (let ((ga (tree-gen a)) (gb (tree-gen b)))
    (let loop ()
      (let ((x (ga)) (y (gb)))
        (cond ((not (eqv? x y)) #f)
              ((eq? x 'done) #t)
              (else (loop)))))))
(display (list (same-fringe? '(1 (2 3) ((4))) '((1 2) 3 4))
               (same-fringe? '(1 2 3) '(1 (3 2)))))
(newline)

;; dynamic-wind: leaving runs the after thunk, re-entering runs the before thunk again.
(define trail '())
(define (note x) (set! trail (cons x trail)))
(define k2 #f)
(define n 0)
(dynamic-wind
  (lambda () (note 'in))
  (lambda () (call/cc (lambda (k) (set! k2 k))) (note 'body))
  (lambda () (note 'out)))
(set! n (+ n 1))
(if (< n 3) (k2 'again))
(display (reverse trail)) (newline)

;; Jumping between two winds: out of one (its after), into the other (its before),
;; a shared outer wind neither left nor entered.
(set! trail '())
(define inner-k #f)
(define jumped #f)
(dynamic-wind
  (lambda () (note 'outer-in))
  (lambda ()
    (dynamic-wind
      (lambda () (note 'a-in))
      (lambda () (call/cc (lambda (k) (set! inner-k k))) (note 'a-body))
      (lambda () (note 'a-out)))
    (dynamic-wind
      (lambda () (note 'b-in))
      (lambda () (if (not jumped) (begin (set! jumped #t) (inner-k 'back))))
      (lambda () (note 'b-out))))
  (lambda () (note 'outer-out)))
(display (reverse trail)) (newline)

;; An assigned variable captured by a closure keeps one cell across re-entries...
(define (counter-test)
  (let ((x 0) (k #f))
    (call/cc (lambda (c) (set! k c)))
    (set! x (+ x 1))
    (if (< x 5) (k #f) x)))
(display (counter-test)) (newline)

;; ...and so does one no closure captures.
(define (local-test)
  (let ((x 0))
    (let ((k (call/cc (lambda (c) c))))
      (set! x (+ x 1))
      (if (procedure? k) (k 1) x))))
(display (local-test)) (newline)

;; Re-entering a map: the results built before the capture are not disturbed.
(define km #f)
(define first-time #t)
(define r (map (lambda (x) (call/cc (lambda (k) (if (= x 2) (set! km k)) x))) '(1 2 3)))
(display r) (newline)
(if first-time (begin (set! first-time #f) (km 20)))

;; Escaping still works, with several values, and from deep recursion.
(call-with-values (lambda () (call/cc (lambda (k) (k 1 2 3)))) (lambda xs (display xs)))
(newline)
(define (find-deep n)
  (call/cc (lambda (return)
    (let loop ((i 0))
      (if (= i n) (return i) (+ 1 (loop (+ i 1))))))))
(display (find-deep 10000)) (newline)

;; A guard around a re-entered continuation still catches.
(define kg #f)
(define tries 0)
(display (guard (e (#t (list 'caught e)))
  (call/cc (lambda (k) (set! kg k)))
  (set! tries (+ tries 1))
  (if (< tries 3) (kg #f) (raise tries))))
(newline)
(display "end") (newline)
