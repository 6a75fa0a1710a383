// Runs blocking work (store calls, Argon2id, fsync) on the bounded worker pool and resumes the
// calling coroutine on its own executor: network threads never block (DESIGN.md §3).
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace tegami::net {

namespace asio = boost::asio;

asio::thread_pool& worker_pool();

template <class F>
auto offload(F f) -> asio::awaitable<std::invoke_result_t<F&>> {
  using T = std::invoke_result_t<F&>;
  using Slot = std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>;
  Slot result{};
  std::exception_ptr error;
  auto initiate = [&](auto handler) {
    asio::post(worker_pool(), [&, handler = std::move(handler)]() mutable {
      try {
        if constexpr (std::is_void_v<T>) {
          f();
        } else {
          result.emplace(f());
        }
      } catch (...) {
        error = std::current_exception();
      }
      auto ex = asio::get_associated_executor(handler);
      asio::post(ex, std::move(handler));
    });
  };
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(initiate,
                                                                        asio::use_awaitable);
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<T>) co_return std::move(*result);
}

// Awaits a result that `start(callback)` hands to `callback` later, from any thread (the
// store's writer, say); the coroutine resumes on its own executor. `start` must not block.
template <class T, class Start>
auto await_callback(Start start) -> asio::awaitable<T> {
  struct State {
    std::optional<T> result;
  };
  auto state = std::make_shared<State>();
  auto initiate = [&](auto handler) {
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    start([state, h](T v) {
      state->result.emplace(std::move(v));
      auto ex = asio::get_associated_executor(*h);
      asio::post(ex, std::move(*h));
    });
  };
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(initiate,
                                                                        asio::use_awaitable);
  co_return std::move(*state->result);
}

}  // namespace tegami::net
