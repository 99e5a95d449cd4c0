// Gin twin of scalelab's albums service (hw1), used as a peer by
// bench/http_peers.sh. Same routes, bodies and status codes as the
// scalelab service; no logger middleware, release mode, one mutex-guarded
// in-memory store.
package main

import (
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
)

type album struct {
	ID     string  `json:"id"`
	Title  string  `json:"title"`
	Artist string  `json:"artist"`
	Price  float64 `json:"price"`
}

// albumIn uses pointers so a missing field can be told apart from a zero one.
type albumIn struct {
	ID     *string  `json:"id"`
	Title  *string  `json:"title"`
	Artist *string  `json:"artist"`
	Price  *float64 `json:"price"`
}

type store struct {
	mu    sync.Mutex
	order []string
	byID  map[string]album
}

func newStore() *store {
	s := &store{byID: map[string]album{}}
	for _, a := range []album{
		{ID: "1", Title: "Blue Train", Artist: "John Coltrane", Price: 56.99},
		{ID: "2", Title: "Jeru", Artist: "Gerry Mulligan", Price: 17.99},
		{ID: "3", Title: "Sarah Vaughan and Clifford Brown", Artist: "Sarah Vaughan", Price: 39.99},
	} {
		s.add(a)
	}
	return s
}

func (s *store) list() []album {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]album, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.byID[id])
	}
	return out
}

func (s *store) get(id string) (album, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byID[id]
	return a, ok
}

// add returns false when the id is already taken.
func (s *store) add(a album) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.byID[a.ID]; dup {
		return false
	}
	s.byID[a.ID] = a
	s.order = append(s.order, a.ID)
	return true
}

func apiError(c *gin.Context, status int, code, msg string) {
	c.JSON(status, gin.H{"error": code, "message": msg})
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address host:port")
	flag.Parse()

	gin.SetMode(gin.ReleaseMode)
	s := newStore()
	r := gin.New()

	r.GET("/health", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	r.GET("/albums", func(c *gin.Context) {
		c.JSON(http.StatusOK, s.list())
	})
	r.GET("/albums/:id", func(c *gin.Context) {
		a, ok := s.get(c.Param("id"))
		if !ok {
			apiError(c, http.StatusNotFound, "NOT_FOUND", "album not found")
			return
		}
		c.JSON(http.StatusOK, a)
	})
	r.POST("/albums", func(c *gin.Context) {
		var in albumIn
		body, err := io.ReadAll(c.Request.Body)
		if err == nil {
			err = json.Unmarshal(body, &in)
		}
		if err != nil || in.ID == nil || *in.ID == "" || in.Title == nil || in.Artist == nil || in.Price == nil {
			apiError(c, http.StatusBadRequest, "INVALID_INPUT", "album needs id, title, artist and price")
			return
		}
		a := album{ID: *in.ID, Title: *in.Title, Artist: *in.Artist, Price: *in.Price}
		if !s.add(a) {
			apiError(c, http.StatusConflict, "CONFLICT", "album "+a.ID+" already exists")
			return
		}
		c.JSON(http.StatusCreated, a)
	})

	log.Printf("gin albums peer listening on %s", *addr)
	if err := r.Run(*addr); err != nil {
		log.Fatal(err)
	}
}
